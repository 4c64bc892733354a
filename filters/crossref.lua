-- crossref.lua: number figures, tables, equations and sections, and turn references into links.
--
-- Papers refer to their own figures, tables, equations and sections. Three syntaxes are read:
-- pandoc-crossref (`{#fig:loss}` … `@fig:loss`, also tbl, eq, sec), Quarto (`{#fig-loss}` …
-- `@fig-loss`) and MathJax (`\label{x}` inside display math, `\ref{x}` / `\eqref{x}` in the text).
-- Labelled figures and tables get "Figure 3." / "Table 2." before their caption; labelled display
-- equations (and those with `\tag{…}`) get their number at the right, "(4)"; every heading gets a
-- section number ("2.1") that references use, though headings stay unnumbered on the page.
-- A reference becomes a link: "Figure 3", "Table 2", "Equation (4)", "Section 2.1"; `\ref` gives
-- the bare number, `\eqref` the number in parentheses. Elements numbered by an earlier filter
-- (theorems.lua) carry their reference text in a `crossref-text` attribute and are linked too.
-- A reference to a label that does not exist shows `??` and logs a warning (publisher adds the
-- line); a label defined twice logs a warning. With the metadata `list-of-figures: true` /
-- `list-of-tables: true` a list of them is added at the end of the body.
-- Equation environments inside raw HTML (MathJax sites) are numbered in the same sequence: their
-- TeX gets `\tag{n}` for each number and an empty `<span id="x">` before it for each `\label{x}`.
--
-- Two passes: the first walks the blocks in reading order, numbering and collecting labels; the
-- second replaces the references.

local NAMES = { fig = "Figure", tbl = "Table", eq = "Equation", sec = "Section" }

local labels = {}   -- id → { kind, number, text }
local headings = {} -- heading id → section number (headings' ids are often generated: kept apart)
local counters = { fig = 0, tbl = 0, eq = 0 }
local sections = { 0, 0, 0, 0, 0, 0 }
local figures, tables = {}, {}   -- { id, number, caption inlines } for the lists

local function kind_of(id)
  local prefix = id:match("^(%a+)[:%-]")
  prefix = prefix and prefix:lower() or nil
  if prefix and NAMES[prefix] then return prefix end
  return nil
end

local function define(id, kind, number)
  if labels[id] then
    pandoc.log.warn("crossref: label '" .. id .. "' is defined twice; references go to the first")
    return false
  end
  labels[id] = { kind = kind, number = number }
  return true
end

-- Equations ---------------------------------------------------------------------------------------

-- Environments MathJax (with AMS numbering) numbers by itself: once, or once per row.
local NUMBERED_ONCE = { equation = true, multline = true }
local NUMBERED_ROWS = { align = true, gather = true, eqnarray = true, flalign = true, alignat = true }
local ENVIRONMENTS = { equation = true, multline = true, align = true, gather = true, eqnarray = true,
                       flalign = true, alignat = true }

local function environment(tex)
  local env = tex:match("^%s*\\begin%s*{(%a+)%*?}")
  return env and ENVIRONMENTS[env] and tex:match("\\end%s*{" .. env .. "%*?}%s*$") and env or nil
end

-- How many numbers MathJax would give the formula without labels: 0, 1, or one per row.
local function automatic(tex)
  local env, star = tex:match("^%s*\\begin%s*{(%a+)(%*?)}")
  if not env or star == "*" then return 0 end
  if NUMBERED_ONCE[env] then return 1 end
  if not NUMBERED_ROWS[env] then return 0 end
  local body = tex:gsub("^%s*\\begin%s*{%a+}", ""):gsub("\\end%s*{%a+}%s*$", "")
  body = body:gsub("\\begin%s*{(%a+%*?)}.-\\end%s*{%1}", "")  -- rows of inner matrices do not count
  local _, rows = body:gsub("\\\\%s*[^%s]", "")
  return rows + 1
end

local function strip_math(tex)
  local found, tags = {}, {}
  local auto = automatic(tex)
  tex = tex:gsub("\\label%s*{([^{}]*)}", function(l) table.insert(found, l); return "" end)
  tex = tex:gsub("\\tag%*?%s*{([^{}]*)}", function(t) table.insert(tags, t); return "" end)
  local n1, n2
  tex, n1 = tex:gsub("\\nonumber%f[^%a]", "")
  tex, n2 = tex:gsub("\\notag%f[^%a]", "")
  return tex, found, tags, math.max(0, auto - n1 - n2)
end

local function equation(formula, attr_label)
  local tex, found, tags, auto = strip_math(formula.text)
  if attr_label then table.insert(found, 1, attr_label) end
  if #found == 0 and #tags == 0 and auto == 0 then return nil end
  formula.text = tex
  local shown = {}
  local count = math.max(#found, #tags, auto, 1)
  for i = 1, count do
    local number = tags[i]
    if not number then
      counters.eq = counters.eq + 1
      number = tostring(counters.eq)
    end
    table.insert(shown, "(" .. number .. ")")
    if found[i] and not define(found[i], "eq", number) then found[i] = false end  -- a duplicate: no second id
  end
  local ids = {}
  for _, l in ipairs(found) do if l then table.insert(ids, l) end end
  local numbers = pandoc.Inlines({})
  for i, text in ipairs(shown) do  -- one per row, stacked
    if i > 1 then numbers:insert(pandoc.LineBreak()) end
    numbers:insert(pandoc.Str(text))
  end
  local inner = { formula, pandoc.Span(numbers, { class = "eq-number" }) }
  for i = #ids, 2, -1 do table.insert(inner, 1, pandoc.Span({}, { id = ids[i] })) end
  return pandoc.Span(inner, { id = ids[1] or "", class = "equation" })
end

local function equations(inlines)
  local out, changed, i = pandoc.List(), false, 1
  while i <= #inlines do
    local el = inlines[i]
    local j, attr_label = i + 1, nil
    if el.t == "RawInline" and el.format:match("tex") and environment(el.text) then
      el = pandoc.Math("DisplayMath", el.text)  -- \begin{equation} … written outside $$ for MathJax
      changed = true
    end
    if el.t == "Math" then
      if inlines[j] and inlines[j].t == "Space" then j = j + 1 end
      local nxt = inlines[j]
      if nxt and nxt.t == "Str" then attr_label = nxt.text:match("^{#([%w_:%.%-]+)}$") end
      -- `$$…$$ {#eq:x}` is not a paragraph of its own for kramdown, which made it inline math
      if attr_label then el.mathtype = "DisplayMath" end
    end
    if el.t == "Math" and el.mathtype == "DisplayMath" then
      local eq = equation(el, attr_label)
      if eq then
        out:insert(eq)
        changed = true
        if attr_label then i = j end
      else
        out:insert(el)
      end
    else
      out:insert(el)
    end
    i = i + 1
  end
  return changed and out or nil
end

-- Equations inside raw HTML -------------------------------------------------------------------------
-- MathJax sites write equation environments inside HTML blocks (`<p class="lemma"> … \begin{equation}
-- … \label{x} … </p>`), which pandoc keeps as raw HTML. They are numbered here in reading order with
-- the others, by rewriting their TeX: each number MathJax would draw becomes `\tag{n}` (drawn by
-- publisher/rawmath.py and math-environments.lua), a `\label{x}` goes and `<span id="x"></span>`
-- stands right before the environment, for the links.

-- [start, stop] ranges of TEXT inside the HTML elements whose text is not prose.
local function code_ranges(text)
  local ranges = {}
  for _, tag in ipairs({ "pre", "code", "script", "style", "textarea" }) do
    local pos = 1
    while true do
      local s, e = text:find("<" .. tag .. "[%s>]", pos)
      if not s then break end
      local _, stop = text:find("</" .. tag .. "%s*>", e)
      stop = stop or #text
      table.insert(ranges, { s, stop })
      pos = stop + 1
    end
  end
  return ranges
end

local function inside(ranges, pos)
  for _, r in ipairs(ranges) do if pos >= r[1] and pos <= r[2] then return true end end
  return false
end

-- The rows of an environment's body, split at the `\\` outside inner environments.
local function rows_of(body)
  local rows, depth, start, i = {}, 0, 1, 1
  while i <= #body do
    if body:find("^\\begin%s*{", i) then depth = depth + 1; i = i + 6
    elseif body:find("^\\end%s*{", i) then depth = depth - 1; i = i + 4
    elseif depth == 0 and body:sub(i, i + 1) == "\\\\" and not body:find("^[{}|]", i + 2) then  -- \\| is \| doubled
      table.insert(rows, body:sub(start, i - 1)); i = i + 2; start = i
    else i = i + 1 end
  end
  table.insert(rows, body:sub(start))
  return rows
end

-- One row (or a whole once-numbered environment): its number as `\tag`, its labels as ids.
local function number_row(row, numbered, ids)
  local found = {}
  row = row:gsub("\\label%s*{([^{}]*)}", function(l) table.insert(found, l); return "" end)
  local n1, n2
  row, n1 = row:gsub("\\nonumber%f[^%a]", "")
  row, n2 = row:gsub("\\notag%f[^%a]", "")
  local tag = row:match("\\tag%*?%s*{([^{}]*)}")
  local number = tag
  if not tag and (#found > 0 or (numbered and n1 + n2 == 0)) then
    counters.eq = counters.eq + 1
    number = tostring(counters.eq)
    row = row:gsub("%s*$", "") .. " \\tag{" .. number .. "}"
  end
  for _, l in ipairs(found) do
    if number and define(l, "eq", number) then table.insert(ids, l) end
  end
  return row
end

-- TEX is one environment `\begin{env}…\end{env}`: it with its numbers as \tag, and the ids of its labels.
local function number_environment(tex)
  local env, star = tex:match("^\\begin%s*{(%a+)(%*?)}")
  local head, body, tail = tex:match("^(\\begin%s*%b{})(.*)(\\end%s*%b{})$")
  local ids = {}
  if NUMBERED_ROWS[env] then
    local rows = rows_of(body)
    for i, row in ipairs(rows) do
      local blank = row:match("^%s*$") and i == #rows and i > 1  -- after a final \\: no row
      if not blank then rows[i] = number_row(row, star == "", ids) end
    end
    body = table.concat(rows, "\\\\")
  else
    body = number_row(body, star == "" and NUMBERED_ONCE[env] ~= nil, ids)
  end
  return head .. body .. tail, ids
end

-- The raw HTML TEXT with its equation environments numbered and their anchors before them.
local function raw_html_equations(text)
  if not text:find("\\begin%s*{") then return nil end
  local skip = code_ranges(text)
  local out, pos, changed = {}, 1, false
  while true do
    local s, e, env = text:find("\\begin%s*{(%a+)%*?}", pos)
    if not s then break end
    local _, stop = text:find("\\end%s*{" .. (env or "") .. "%*?}", e)
    if not (ENVIRONMENTS[env] and stop) or inside(skip, s) then
      table.insert(out, text:sub(pos, e)); pos = e + 1
    else
      local tex, ids = number_environment(text:sub(s, stop))
      local before = text:sub(pos, s - 1)
      -- publisher.mathprep wraps a bare environment in $$…$$: the anchor goes before the delimiter
      local lead = before:match("%$%$%s*$") or before:match("\\\\?%[%s*$") or ""
      table.insert(out, before:sub(1, #before - #lead))
      for _, id in ipairs(ids) do table.insert(out, '<span id="' .. id .. '"></span>') end
      table.insert(out, lead .. tex)
      changed = changed or tex ~= text:sub(s, stop) or #ids > 0
      pos = stop + 1
    end
  end
  if not changed then return nil end
  table.insert(out, text:sub(pos))
  return table.concat(out)
end

local function raw_html(r)
  if r.format ~= "html" then return nil end
  local text = raw_html_equations(r.text)
  if text then r.text = text; return r end
end

-- Figures, tables, sections -------------------------------------------------------------------------

local function caption_prefix(caption, text)
  local label = pandoc.Span({ pandoc.Str(text) }, { class = "xref-label" })
  local long = caption.long
  if #long > 0 and (long[1].t == "Plain" or long[1].t == "Para") then
    long[1].content:insert(1, pandoc.Space())
    long[1].content:insert(1, label)
  else
    long:insert(1, pandoc.Plain({ label }))
  end
  caption.long = long
  return caption
end

local function numbered(el, kind, list)
  if el.identifier == "" or kind_of(el.identifier) ~= kind then return nil end
  local number = tostring(counters[kind] + 1)
  if not define(el.identifier, kind, number) then
    el.identifier = ""  -- a duplicate: the first keeps the id
    return el
  end
  counters[kind] = counters[kind] + 1
  table.insert(list, { id = el.identifier, number = number,
                       caption = pandoc.utils.blocks_to_inlines(el.caption.long) })
  el.caption = caption_prefix(el.caption, NAMES[kind] .. " " .. number .. ".")
  return el
end

local function header(h)
  -- a LaTeX \label in the heading names it
  local changed = nil
  for i, el in ipairs(h.content) do
    if el.t == "RawInline" and el.format:match("tex") then
      local l = el.text:match("^\\label%s*{([^{}]*)}$")
      if l then
        h.content:remove(i)
        if h.content[i - 1] and h.content[i - 1].t == "Space" then h.content:remove(i - 1) end
        h.identifier = l
        changed = h
        break
      end
    end
  end
  if h.classes:includes("unnumbered") or h.level < 2 then return changed end
  local depth = h.level - 1
  sections[depth] = sections[depth] + 1
  for d = depth + 1, #sections do sections[d] = 0 end
  local parts = {}
  for d = 1, depth do table.insert(parts, tostring(sections[d])) end
  if h.identifier ~= "" and not headings[h.identifier] then headings[h.identifier] = table.concat(parts, ".") end
  return changed  -- nil: the heading goes back to pandoc unchanged
end

local function collect(blocks)
  return blocks:walk({
    traverse = "topdown",
    Header = header,
    Figure = function(f) return numbered(f, "fig", figures) end,
    Table = function(t) return numbered(t, "tbl", tables) end,
    Div = function(d)
      local text = d.attributes["crossref-text"]
      if text and d.identifier ~= "" then
        if define(d.identifier, "other", text) then labels[d.identifier].text = text end
        d.attributes["crossref-text"] = nil
        return d
      end
      if d.identifier ~= "" and kind_of(d.identifier) == "tbl" then
        -- Quarto: ::: {#tbl-x} around a table (with its caption)
        local tbl = d.content[1]
        if tbl and tbl.t == "Table" and tbl.identifier == "" then
          tbl.identifier = d.identifier  -- numbered when the walk reaches it
          d.identifier = ""
          return d
        end
      end
    end,
    RawInline = raw_html,
    RawBlock = function(r)
      if r.format == "html" then return raw_html(r) end
      if r.format:match("tex") and environment(r.text) then
        local p = pandoc.Para({ pandoc.Math("DisplayMath", r.text) })
        p.content = equations(p.content) or p.content
        return p
      end
    end,
    Para = function(p) local c = equations(p.content); if c then p.content = c; return p end end,
    Plain = function(p) local c = equations(p.content); if c then p.content = c; return p end end,
  })
end

-- References --------------------------------------------------------------------------------------

local function missing(id, written)
  pandoc.log.warn("crossref: reference to a missing label '" .. id .. "' (written " .. written .. ")")
  return pandoc.Span({ pandoc.Str("??") }, { class = "xref-missing", title = "missing label: " .. id })
end

-- style: "name" (Figure 3), "number" (3), "paren" ((3))
local function lookup(id)
  if labels[id] then return labels[id] end
  if headings[id] then return { kind = "sec", number = headings[id] } end
  return nil
end

local function reference(id, style, written)
  local l = lookup(id)
  if not l then return missing(id, written) end
  local text
  if l.kind == "other" then
    text = style == "name" and l.text or l.text:match("(%S+)$")
  elseif style == "paren" or (style == "name" and l.kind == "eq") then
    text = "(" .. l.number .. ")"
    if style == "name" then text = NAMES.eq .. " " .. text end
  elseif style == "number" then
    text = l.number
  else
    text = NAMES[l.kind] .. " " .. l.number
  end
  return pandoc.Link({ pandoc.Str(text) }, "#" .. id, "", { class = "xref" })
end

-- `@name` is a reference only with a known prefix (fig, tbl, eq, sec) or a label of theorems.lua:
-- other handles stay text.
local function wanted(id)
  return kind_of(id) ~= nil or (labels[id] ~= nil and labels[id].kind == "other")
end

local function str_ref(s)
  local before, id, after = s.text:match("^(.-)@([%a][%w_:%.%-]*[%w_])(.*)$")
  if not id or (before ~= "" and before:match("[%w_]$")) then return nil end
  local lower = id:sub(1, 1):lower() .. id:sub(2)
  local key = (lookup(id) or not lookup(lower)) and id or lower  -- @Fig:x is @fig:x
  if not wanted(key) then return nil end
  if before:sub(-1) == "[" and after:sub(1, 1) == "]" then before, after = before:sub(1, -2), after:sub(2) end
  local out = pandoc.List()
  if before ~= "" then out:insert(pandoc.Str(before)) end
  out:insert(reference(key, "name", "@" .. id))
  if after ~= "" then out:insert(pandoc.Str(after)) end
  return out
end

local function tex_ref(text)
  local cmd, id = text:match("^\\(%a+)%s*{([^{}]*)}$")
  if cmd == "eqref" then return reference(id, "paren", text) end
  if cmd == "ref" then return reference(id, "number", text) end
  if cmd == "autoref" or cmd == "cref" or cmd == "Cref" then return reference(id, "name", text) end
  return nil
end

local function number_text(id)
  local l = lookup(id)
  if not l then return "??" end
  return l.kind == "other" and l.text:match("(%S+)$") or l.number
end

-- [start, stop] ranges of the formulas in raw HTML TEXT (`\(…\)`, `\[…\]`, `$$…$$`, environments).
local function formula_ranges(text)
  local ranges = {}
  for _, pair in ipairs({ { "\\(", "\\)" }, { "\\[", "\\]" }, { "$$", "$$" } }) do
    local pos = 1
    while true do
      local s, e = text:find(pair[1], pos, true)
      if not s then break end
      local _, stop = text:find(pair[2], e + 1, true)
      if not stop then break end
      table.insert(ranges, { s, stop })
      pos = stop + 1
    end
  end
  local pos = 1
  while true do
    local s, e, env = text:find("\\begin%s*{(%a+)%*?}", pos)
    if not s then break end
    local _, stop = text:find("\\end%s*{" .. env .. "%*?}", e)
    if not stop then break end
    table.insert(ranges, { s, stop })
    pos = stop + 1
  end
  return ranges
end

-- Raw HTML keeps its TeX for MathJax; a reference in it becomes a link, or `\text{(n)}` inside a
-- formula (a link there would break the TeX). A reference to a missing label shows `??` and warns.
local function raw_html_refs(r)
  if not (r.text:find("\\ref%s*{") or r.text:find("\\eqref%s*{")) then return nil end
  local skip = code_ranges(r.text)
  local math = formula_ranges(r.text)
  local function replace(paren)
    return function(pos, id)
      if inside(skip, pos) then return nil end
      local written = (paren and "\\eqref{" or "\\ref{") .. id .. "}"
      local l = lookup(id)
      local n = number_text(id)
      local shown = paren and "(" .. n .. ")" or n
      if inside(math, pos) then
        if not l then missing(id, written) end
        return "\\text{" .. shown .. "}"
      end
      if not l then
        missing(id, written)
        return '<span class="xref-missing" title="missing label: ' .. id .. '">??</span>'
      end
      return '<a href="#' .. id .. '" class="xref">' .. shown .. "</a>"
    end
  end
  -- one pass for both commands, so positions are those of the original text
  r.text = r.text:gsub("()\\(e?q?ref)%s*{([^{}<>\"]*)}", function(pos, cmd, id)
    if cmd == "eqref" then return replace(true)(pos, id) end
    if cmd == "ref" then return replace(false)(pos, id) end
    return nil
  end)
  return r
end

local function resolve(doc)
  return doc:walk({
    Str = str_ref,
    Cite = function(c)
      local out = pandoc.List()
      for i, citation in ipairs(c.citations) do
        if not wanted(citation.id) then return nil end
        if i > 1 then out:insert(pandoc.Str(",")); out:insert(pandoc.Space()) end
        out:insert(reference(citation.id, "name", "@" .. citation.id))
      end
      return out
    end,
    RawInline = function(r)
      if r.format:match("tex") then
        local ref = tex_ref(r.text)
        if ref then return ref end
        if r.text:match("^\\label%s*{[^{}]*}$") then return {} end
      elseif r.format == "html" then
        return raw_html_refs(r)
      end
    end,
    RawBlock = function(r) if r.format == "html" then return raw_html_refs(r) end end,
    Math = function(m)
      local only = tex_ref(m.text:match("^%s*(.-)%s*$"))
      if only and m.mathtype == "InlineMath" then return only end
      if m.text:find("\\ref%s*{") or m.text:find("\\eqref%s*{") then
        m.text = m.text:gsub("\\eqref%s*{([^{}]*)}", function(id) return "(\\text{" .. number_text(id) .. "})" end)
                       :gsub("\\ref%s*{([^{}]*)}", function(id) return "\\text{" .. number_text(id) .. "}" end)
        return m
      end
    end,
  })
end

-- Lists of figures and tables -------------------------------------------------------------------

local function flag(meta, key)
  local v = meta[key]
  return v ~= nil and (v == true or pandoc.utils.stringify(v) == "true")
end

local function list_section(id, title, kind, items)
  local entries = {}
  for _, item in ipairs(items) do
    local inlines = pandoc.List({ pandoc.Link({ pandoc.Str(NAMES[kind] .. " " .. item.number) }, "#" .. item.id) })
    if #item.caption > 0 then
      inlines:insert(pandoc.Str("."))
      inlines:insert(pandoc.Space())
      inlines:extend(item.caption)
    end
    table.insert(entries, { pandoc.Plain(inlines) })
  end
  return pandoc.Div({ pandoc.Header(2, pandoc.Str(title), { id = id, class = "unnumbered" }),
                      pandoc.BulletList(entries) }, { class = "list-of-" .. kind })
end

function Pandoc(doc)
  doc.blocks = collect(doc.blocks)
  doc = resolve(doc)
  if flag(doc.meta, "list-of-figures") and #figures > 0 then
    doc.blocks:insert(list_section("list-of-figures", "List of figures", "fig", figures))
  end
  if flag(doc.meta, "list-of-tables") and #tables > 0 then
    doc.blocks:insert(list_section("list-of-tables", "List of tables", "tbl", tables))
  end
  return doc
end
