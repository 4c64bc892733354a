-- headings.lua: shift headings so the paper's top sections are level 2 under the title.
--
-- Blog themes often start a post at `###`. The title is the level-1 heading of every
-- edition, so the shallowest heading in the body becomes level 2 and the others keep
-- their relative depth (capped at 6).

function Pandoc(doc)
  local min = 7
  doc.blocks:walk({ Header = function(h) if h.level < min then min = h.level end end })
  if min == 7 then return nil end
  local shift = 2 - min
  if shift == 0 then return nil end
  doc.blocks = doc.blocks:walk({
    Header = function(h)
      h.level = math.max(1, math.min(6, h.level + shift))
      return h
    end,
  })
  return doc
end
