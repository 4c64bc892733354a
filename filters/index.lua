-- index.lua: subject-index terms become anchors that the index of every edition links to.
--
-- A term is marked with a span, `[gradient descent]{.index}`, or with the term given apart from
-- the text, `[GD]{.index term="gradient descent"}`; `term="optimisation!gradient descent"` makes a
-- sub-entry. Sites that cannot use spans write an HTML comment, `<!--index: gradient descent-->`
-- (several terms separated by `;`). Each mark becomes a span with a numbered id (`idx-1`, in
-- reading order) and the term in `data-index-term`; its text is left as it was. The index itself
-- is made by publisher/subject_index.py from these spans.

traverse = "topdown"

local count = 0

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function anchor(term, content)
  count = count + 1
  return pandoc.Span(content, pandoc.Attr("idx-" .. count, {"index-term"}, {{"index-term", term}}))
end

local function comment_terms(text)
  local body = text:match("^%s*<!%-%-%s*index:%s*(.-)%s*%-%->%s*$")
  if not body then return nil end
  local terms = {}
  for part in body:gmatch("[^;]+") do
    local term = trim(part)
    if term ~= "" then table.insert(terms, term) end
  end
  return terms
end

function Span(el)
  if not el.classes:includes("index") then return nil end
  local term = trim(el.attributes["term"] or pandoc.utils.stringify(el.content))
  if term == "" then return el.content end
  return anchor(term, el.content)
end

function RawInline(el)
  if not el.format:match("html") then return nil end
  local terms = comment_terms(el.text)
  if not terms then return nil end
  local out = {}
  for _, term in ipairs(terms) do table.insert(out, anchor(term, {})) end
  return out
end

function RawBlock(el)
  if not el.format:match("html") then return nil end
  local terms = comment_terms(el.text)
  if not terms then return nil end
  local out = {}
  for _, term in ipairs(terms) do table.insert(out, anchor(term, {})) end
  if #out == 0 then return {} end
  return pandoc.Plain(out)
end
