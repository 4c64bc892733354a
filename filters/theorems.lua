-- theorems.lua: theorem-like environments of mathematical papers, numbered and labelled.
--
-- `::: {.theorem}` (also lemma, corollary, proposition, conjecture, definition, example, exercise,
-- remark, proof), or Quarto's `::: {#thm-name}` (thm, lem, cor, prp, cnj, def, exm, exr). Each kind
-- is numbered on its own through the paper: "Theorem 1.", "Lemma 2."; a `name="…"` (or `title`)
-- attribute, or a first heading inside the div, is shown in parentheses. Remarks and proofs are
-- not numbered; a proof starts with "Proof." and ends with ∎. The div is a group with an accessible
-- label; one with an id carries its reference text ("Theorem 1") for crossref.lua, which runs after.

local KINDS = {
  theorem = "Theorem", lemma = "Lemma", corollary = "Corollary", proposition = "Proposition",
  conjecture = "Conjecture", definition = "Definition", example = "Example", exercise = "Exercise",
  remark = "Remark", proof = "Proof",
}
local PREFIXES = {
  thm = "theorem", lem = "lemma", cor = "corollary", prp = "proposition", cnj = "conjecture",
  def = "definition", exm = "example", exr = "exercise", rem = "remark",
}
local UNNUMBERED = { remark = true, proof = true }
local counters = {}

local function kind_of(d)
  for _, c in ipairs(d.classes) do
    if KINDS[c] then return c end
  end
  local prefix = d.identifier:match("^(%a+)[:%-]")
  return prefix and PREFIXES[prefix] or nil
end

local function environment(d)
  local kind = kind_of(d)
  if not kind or d.attributes["crossref-text"] then return nil end
  local blocks = d.content
  local name = d.attributes.name or d.attributes.title
  name = name and name ~= "" and pandoc.Inlines({ pandoc.Str(name) }) or nil
  if not name and blocks[1] and blocks[1].t == "Header" then
    name = blocks[1].content
    blocks = pandoc.Blocks({ table.unpack(blocks, 2) })
  end
  local text = KINDS[kind]
  if not UNNUMBERED[kind] then
    counters[kind] = (counters[kind] or 0) + 1
    text = text .. " " .. counters[kind]
  end
  local head = pandoc.Inlines({ pandoc.Str(text) })
  if name then
    head:insert(pandoc.Space())
    head:insert(pandoc.Str("("))
    head:extend(name)
    head:insert(pandoc.Str(")"))
  end
  head:insert(pandoc.Str("."))
  head = pandoc.Inlines({ kind == "proof" and pandoc.Emph(head) or pandoc.Strong(head) })
  local first = blocks[1]
  if first and (first.t == "Para" or first.t == "Plain") then
    head:insert(pandoc.Space())
    first.content = head .. first.content
  else
    blocks:insert(1, pandoc.Para(head))
  end
  if kind == "proof" then
    local qed = pandoc.Span({ pandoc.Str("∎") }, { class = "qed" })
    local last = blocks[#blocks]
    if last and (last.t == "Para" or last.t == "Plain") then
      last.content:insert(pandoc.Space())
      last.content:insert(qed)
    else
      blocks:insert(pandoc.Para({ qed }))
    end
  end
  local classes = pandoc.List({ "theorem-like", kind })
  local attrs = { { "role", "group" }, { "aria-label", text } }  -- a list: attributes in a fixed order
  if d.identifier ~= "" and not UNNUMBERED[kind] then table.insert(attrs, { "crossref-text", text }) end
  return pandoc.Div(blocks, pandoc.Attr(d.identifier, classes, attrs))
end

local saved = nil

return {
  { Meta = function(meta) saved = meta; return pandoc.Meta({}) end },
  { traverse = "topdown", Div = environment },
  { Meta = function(_) return saved end },
}
