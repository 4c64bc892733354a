-- excerpt.lua: the text before the excerpt separator is the paper's summary (standfirst).
--
-- Jekyll posts mark their excerpt with a separator such as `<excerpt/>` or `<!--more-->`
-- (metadata `excerpt-separator`). Everything before the first separator is moved into the
-- `summary` metadata field, which every edition shows under the title; the separator itself
-- never reaches the output, wherever it appears. A summary that is one italic paragraph is
-- unwrapped: the standfirst style sets it apart already.

local sep = nil

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function is_sep_text(s)
  return sep ~= nil and trim(s) == sep
end

local function is_sep_block(b)
  if b.t == "RawBlock" and b.format:match("html") then return is_sep_text(b.text) end
  if (b.t == "Para" or b.t == "Plain") then
    local only = {}
    for _, el in ipairs(b.content) do
      if el.t ~= "Space" and el.t ~= "SoftBreak" and el.t ~= "LineBreak" then table.insert(only, el) end
    end
    if #only == 1 and only[1].t == "RawInline" then return is_sep_text(only[1].text) end
    return is_sep_text(pandoc.utils.stringify(b))
  end
  return false
end

local function unwrap_italic(blocks)
  if #blocks == 1 and blocks[1].t == "Para" then
    local inl = blocks[1].content
    local first, last = 1, #inl
    while first <= last and (inl[first].t == "Space" or inl[first].t == "SoftBreak") do first = first + 1 end
    while last >= first and (inl[last].t == "Space" or inl[last].t == "SoftBreak") do last = last - 1 end
    if first == last and inl[first].t == "Emph" then
      return pandoc.Blocks({ pandoc.Para(inl[first].content) })
    end
  end
  return blocks
end

-- The separator as written: raw HTML such as `<excerpt/>` is kept as its source text.
local function meta_text(value)
  if type(value) == "string" then return value end
  local parts = {}
  local ok = pcall(function()
    for _, el in ipairs(value) do
      if el.t == "RawInline" then table.insert(parts, el.text)
      elseif el.t == "Space" then table.insert(parts, " ")
      else table.insert(parts, pandoc.utils.stringify(el)) end
    end
  end)
  if ok and #parts > 0 then return table.concat(parts) end
  return pandoc.utils.stringify(value)
end

function Pandoc(doc)
  local s = doc.meta["excerpt-separator"]
  if s == nil then return nil end
  sep = trim(meta_text(s))
  if sep == "" then return nil end
  local before, after, found = pandoc.Blocks({}), pandoc.Blocks({}), false
  for _, b in ipairs(doc.blocks) do
    if not found and is_sep_block(b) then
      found = true
    elseif found then
      after:insert(b)
    else
      before:insert(b)
    end
  end
  if found then
    if #before > 0 then doc.meta.summary = pandoc.MetaBlocks(unwrap_italic(before)) end
    doc.blocks = after
  end
  -- Remove any other occurrence of the separator (inline or block).
  doc.blocks = doc.blocks:walk({
    RawInline = function(el) if is_sep_text(el.text) then return {} end end,
    RawBlock = function(el) if is_sep_text(el.text) then return {} end end,
  })
  return doc
end
