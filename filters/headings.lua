-- headings.lua: shift headings so the paper's top sections are level 2 under the title.
--
-- Blog themes often start a post at `###`. The title is the level-1 heading of every
-- edition, so the shallowest heading in the body becomes level 2 and the others keep
-- their relative depth (capped at 6). Headings in the metadata (the summary) are left alone.
--
-- Element passes (find the shallowest level, then shift) with the metadata set aside: pandoc
-- hands only the headings to Lua, and only the shifted ones back.

local min = 7
local saved = nil

return {
  {
    Meta = function(meta)
      saved = meta
      return pandoc.Meta({})
    end,
  },
  {
    Header = function(h)
      if h.level < min then min = h.level end
    end,
  },
  {
    Header = function(h)
      if min == 7 or min == 2 then return nil end
      h.level = math.max(1, math.min(6, h.level + 2 - min))
      return h
    end,
  },
  {
    Meta = function(_) return saved end,
  },
}
