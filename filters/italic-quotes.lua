-- italic-quotes.lua: a paragraph that is entirely one italic span is a quotation.
--
-- House style of many policy papers: long quotations are typed as a paragraph in italics.
-- Such a paragraph becomes a block quotation (upright text, set off by the quotation style).
-- Only paragraphs in the main flow and in divs: never inside lists, tables, notes or existing
-- quotations. Switched off with the metadata field `italic-quotes: false` (config:
-- publisher.italic_quotes).
--
-- A top-down traversal that stops at every block except divs: only the paragraphs that change
-- are handed back to pandoc (rebuilding the whole document cost seconds on a long paper).

local enabled = true

local function is_space(el) return el.t == "Space" or el.t == "SoftBreak" or el.t == "LineBreak" end

local function only_emph(inlines)
  local first, last = 1, #inlines
  while first <= last and is_space(inlines[first]) do first = first + 1 end
  while last >= first and is_space(inlines[last]) do last = last - 1 end
  if first == last and inlines[first].t == "Emph" then return inlines[first] end
  return nil
end

local saved = nil  -- the metadata, set aside while the body is walked (the summary and bio stay as they are)

return {
  {
    Meta = function(meta)
      local flag = meta["italic-quotes"]
      enabled = not (flag ~= nil and (flag == false or pandoc.utils.stringify(flag) == "false"))
      saved = meta
      return pandoc.Meta({})
    end,
  },
  {
    traverse = "topdown",
    Block = function(b)
      if not enabled then return nil, false end
      if b.t == "Div" then return nil end  -- look inside
      if b.t == "Para" then
        local emph = only_emph(b.content)
        if emph then return pandoc.BlockQuote({ pandoc.Para(emph.content) }), false end
      end
      return nil, false  -- keep it, and do not look inside (lists, tables, quotations, notes)
    end,
  },
  {
    Meta = function(_) return saved end,
  },
}
