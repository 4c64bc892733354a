-- italic-quotes.lua: a paragraph that is entirely one italic span is a quotation.
--
-- House style of many policy papers: long quotations are typed as a paragraph in italics.
-- Such a paragraph becomes a block quotation (upright text, set off by the quotation style).
-- Switched off with the metadata field `italic-quotes: false` (config: publisher.italic_quotes).

local enabled = true

local function is_space(el) return el.t == "Space" or el.t == "SoftBreak" or el.t == "LineBreak" end

local function only_emph(inlines)
  local first, last = 1, #inlines
  while first <= last and is_space(inlines[first]) do first = first + 1 end
  while last >= first and is_space(inlines[last]) do last = last - 1 end
  if first == last and inlines[first].t == "Emph" then return inlines[first] end
  return nil
end

local function convert(blocks)
  local out = pandoc.Blocks({})
  for _, b in ipairs(blocks) do
    local emph = (b.t == "Para") and only_emph(b.content) or nil
    if emph then
      out:insert(pandoc.BlockQuote({ pandoc.Para(emph.content) }))
    else
      out:insert(b)
    end
  end
  return out
end

function Pandoc(doc)
  local flag = doc.meta["italic-quotes"]
  if flag ~= nil and (flag == false or pandoc.utils.stringify(flag) == "false") then return nil end
  -- Only paragraphs in the main flow (and in divs): never inside lists, tables or existing quotations.
  local function walk_blocks(blocks)
    local converted = convert(blocks)
    for _, b in ipairs(converted) do
      if b.t == "Div" then b.content = walk_blocks(b.content) end
    end
    return converted
  end
  doc.blocks = walk_blocks(doc.blocks)
  return doc
end
