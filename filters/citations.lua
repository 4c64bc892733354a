-- citations.lua: resolve citations with citeproc, mark the missing ones, link the reference list back.
--
-- Runs when the paper has a bibliography (render.py passes it with --bibliography, the style with
-- --csl, and nocite @* over exactly the entries the list should show). A citation inside raw HTML
-- comes as a placeholder tag, <cite data-publisher-citation="[@a]"/>, and becomes the citation
-- between the pieces of raw HTML around it. Then three passes:
-- 1. a citation of a key that is not in the bibliography becomes a visible "[key?]" marker (class
--    citation-missing) instead of citeproc's bold "key?" with a link to nowhere; a bare @word that
--    is not a key stays the text it was (kramdown sites write @handles);
-- 2. pandoc's citeproc renders the citations and the reference list (#refs);
-- 3. a citation in a heading loses its links (the contents list links the heading); each other
--    citation gets an id (cite-N), each entry a back-link to its first citation, a
--    {% reference %} span takes its entry's text, and a "References" heading (id references, at the
--    level of the paper's top headings) goes before the list.

local function known_keys(doc)
  local known = {}
  for _, ref in ipairs(pandoc.utils.references(doc)) do
    known[ref.id] = true
  end
  return known
end

-- A citation inside raw HTML, as publisher wrote it: <cite data-publisher-citation="[@a; @b]"/>.
-- (pandoc's HTML reader, for posts written in HTML, hands it over as an opening tag and a "</cite>".)
local PLACEHOLDER = '<cite data%-publisher%-citation="([^"]*)"%s*/?>'

local function unescape(text)
  return (text:gsub("&quot;", '"'):gsub("&#x27;", "'"):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&amp;", "&"))
end

local function citation_inlines(text)
  local doc = pandoc.read(unescape(text), "markdown+citations")
  local first = doc.blocks[1]
  return first and first.content or pandoc.Inlines({})
end

local function split_raw(text)
  local out = pandoc.Inlines({})
  local pos = 1
  while true do
    local s, e, cite = text:find(PLACEHOLDER, pos)
    if not s then break end
    if s > pos then out:insert(pandoc.RawInline("html", text:sub(pos, s - 1))) end
    out:extend(citation_inlines(cite))
    pos = e + 1
  end
  if pos <= #text then out:insert(pandoc.RawInline("html", text:sub(pos))) end
  return out
end

local function read_placeholders(doc)
  return doc:walk({
    RawBlock = function(b)
      if b.format == "html" and b.text:find(PLACEHOLDER) then return pandoc.Plain(split_raw(b.text)) end
    end,
    Inlines = function(inlines)
      local out, changed, opened = pandoc.Inlines({}), false, false
      for _, el in ipairs(inlines) do
        local raw = el.t == "RawInline" and el.format == "html"
        if opened and raw and el.text:match("^%s*</cite>%s*$") then
          changed = true  -- the end tag of a placeholder the HTML reader split in two
        elseif raw and el.text:find(PLACEHOLDER) then
          out:extend(split_raw(el.text))
          changed = true
        else
          out:insert(el)
        end
        opened = raw and el.text:find(PLACEHOLDER) ~= nil and not el.text:find("/>%s*$")
      end
      if changed then return out end
    end,
  })
end

-- A reference to a figure, table, equation, section or theorem (@fig:x, @tbl-y, @thm-z) is
-- crossref.lua's, which runs later: such a Cite goes back to the text it was, never a missing key.
local CROSSREF_PREFIXES = { fig = true, tbl = true, eq = true, sec = true, thm = true, lem = true,
  cor = true, prp = true, cnj = true, def = true, exm = true, exr = true, rem = true }

local function element_ids(doc)
  local ids = {}
  local function add(el) if el.identifier and el.identifier ~= "" then ids[el.identifier] = true end end
  doc:walk({ Div = add, Span = add, Header = add, Figure = add, Table = add, Image = add, CodeBlock = add })
  return ids
end

local function is_crossref(id, ids)
  local prefix = id:match("^(%a+)[:%-]")
  return (prefix ~= nil and CROSSREF_PREFIXES[prefix:lower()] == true) or ids[id] == true
end

local function mark_missing(doc, known)
  local ids = element_ids(doc)
  return doc:walk({
    Cite = function(cite)
      local all_crossref = true
      for _, c in ipairs(cite.citations) do
        if known[c.id] or not is_crossref(c.id, ids) then all_crossref = false end
      end
      if all_crossref then return cite.content end
      local keep, missing = {}, {}
      for _, c in ipairs(cite.citations) do
        if known[c.id] or c.id == "*" then table.insert(keep, c) else table.insert(missing, c) end
      end
      if #missing == 0 then return nil end
      if #keep == 0 and #cite.citations == 1 and cite.citations[1].mode == "AuthorInText" then
        return cite.content
      end
      local out = pandoc.Inlines({})
      if #keep > 0 then out:insert(pandoc.Cite(pandoc.Inlines({}), keep)) end
      for _, c in ipairs(missing) do
        out:insert(pandoc.Span(pandoc.Inlines({pandoc.Str("[" .. c.id .. "?]")}),
          pandoc.Attr("", {"citation-missing"}, {{"data-key", c.id}})))
      end
      return out
    end,
  })
end

local function top_level(doc)
  local level = 7
  doc.blocks:walk({ Header = function(h) if h.level < level then level = h.level end end })
  return level < 7 and level or 2
end

local function entry_inlines(entry)
  local found = pandoc.Inlines({})
  for _, b in ipairs(entry.content) do
    if b.t == "Para" or b.t == "Plain" then found:extend(b.content) end
  end
  return found
end

function Pandoc(doc)
  local known = known_keys(doc)
  local title = doc.meta["references-title"] and pandoc.utils.stringify(doc.meta["references-title"]) or "References"
  doc = mark_missing(read_placeholders(doc), known)
  doc = pandoc.utils.citeproc(doc)

  local entries, first = {}, {}
  doc.blocks:walk({ Div = function(d)
    if d.identifier:match("^ref%-") then entries[d.identifier:sub(5)] = d end
  end })
  -- A citation in a heading is shown unlinked (the heading is also a link in the contents).
  doc = doc:walk({
    Header = function(h)
      return h:walk({ Cite = function(c)
        local ids = {}
        for _, x in ipairs(c.citations) do table.insert(ids, x.id) end
        local plain = c.content:walk({ Link = function(l) return l.content end })
        return pandoc.Span(plain, pandoc.Attr("", {"citation"}, {{"cites", table.concat(ids, " ")}}))
      end })
    end,
  })
  local n = 0
  doc = doc:walk({
    Span = function(s)
      if s.classes:includes("citation-reference") then
        return s:walk({ Cite = function(c)
          local e = entries[c.citations[1].id]
          if e then c.content = entry_inlines(e) end
          return c
        end })
      end
    end,
  })
  doc.blocks = doc.blocks:walk({
    Cite = function(cite)
      n = n + 1
      local id = "cite-" .. n
      for _, c in ipairs(cite.citations) do
        if not first[c.id] then first[c.id] = id end
      end
      return pandoc.Span(pandoc.Inlines({cite}), pandoc.Attr(id, {"citation-anchor"}))
    end,
  })
  local level, placed = top_level(doc), false
  local function add(blocks)
    local out = pandoc.Blocks({})
    for _, b in ipairs(blocks) do
      if b.t == "Div" and b.identifier == "refs" and not placed then
        placed = true
        if #b.content > 0 then
          out:insert(pandoc.Header(level, pandoc.Inlines(title), pandoc.Attr("references", {"unnumbered", "references"})))
          out:insert(b)
        end
      else
        out:insert(b)
      end
    end
    return out
  end
  doc.blocks = doc.blocks:walk({
    Div = function(d)
      local key = d.identifier:match("^ref%-(.+)$")
      if key and first[key] then
        local last = d.content[#d.content]
        if last and (last.t == "Para" or last.t == "Plain") then
          last.content:insert(pandoc.Space())
          last.content:insert(pandoc.Link(pandoc.Inlines("↩"), "#" .. first[key], "",
            pandoc.Attr("", {"citation-backlink"}, {{"role", "doc-backlink"}, {"aria-label", "Back to the citation"}})))
        end
        return d
      end
    end,
    Blocks = add,
  })
  return doc
end
