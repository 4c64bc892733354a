-- callouts.lua: notes, tips and warnings in every syntax sites use become one accessible callout.
--
-- Read: GitHub alerts (`> [!NOTE]`, TIP, IMPORTANT, WARNING, CAUTION); kramdown class IALs of
-- common themes (`{: .notice}`, `.notice--info` … `--danger`, `--success`, `--primary`; al-folio's
-- `.block-tip`, `.block-warning`, `.block-danger`), which kramdown.py has turned into divs; pandoc
-- fenced divs (`::: note`, `::: {.callout-warning title="…"}`, a first heading as the title);
-- `<div class="notice…">` and a plain `<aside>` in raw HTML. Each becomes
--   <div class="callout callout-KIND" role="note" aria-label="TITLE"><div class="callout-title">…</div>…</div>
-- so the kind is announced and shown as a word, not by colour alone; the stylesheets draw the box.
-- A callout of more than about a third of a page is marked `callout-long`: the PDF lets it break.

local TITLES = {
  note = "Note", tip = "Tip", important = "Important", warning = "Warning", caution = "Caution",
  danger = "Danger", success = "Success", info = "Info", aside = "Aside",
}

local CLASSES = {
  notice = "note", ["notice--primary"] = "note", ["notice--info"] = "info",
  ["notice--warning"] = "warning", ["notice--danger"] = "danger", ["notice--success"] = "success",
  ["block-tip"] = "tip", ["block-warning"] = "warning", ["block-danger"] = "danger",
  callout = "note", ["callout-note"] = "note", ["callout-tip"] = "tip", ["callout-important"] = "important",
  ["callout-warning"] = "warning", ["callout-caution"] = "caution",
  note = "note", tip = "tip", important = "important", warning = "warning", caution = "caution", danger = "danger",
}

local LONG = 1200  -- characters

local function kind_of(classes)
  for _, c in ipairs(classes) do
    if CLASSES[c] then return CLASSES[c] end
  end
  return nil
end

local function callout(kind, blocks, title, id)
  title = title or pandoc.Inlines({ pandoc.Str(TITLES[kind]) })
  local label = pandoc.utils.stringify(title)
  local content = pandoc.Blocks({ pandoc.Div({ pandoc.Plain({ pandoc.Strong(title) }) }, { class = "callout-title" }) })
  content:extend(blocks)
  local classes = { "callout", "callout-" .. kind }
  -- the PDF keeps a callout on one page; a long one (a third of a page or more) may break instead
  if #pandoc.utils.stringify(blocks) > LONG then table.insert(classes, "callout-long") end
  return pandoc.Div(content, pandoc.Attr(id or "", classes,
                                         { { "role", "note" }, { "aria-label", label } }))  -- in this order
end

local function from_div(d)
  if d.classes:includes("callout-title") or d.classes:includes("callout") and d.attributes.role then return nil end
  local kind = kind_of(d.classes)
  if not kind then return nil end
  local blocks = d.content
  -- `{: .block-tip}` after a quotation: the quotation is the callout
  if #blocks == 1 and blocks[1].t == "BlockQuote" then blocks = blocks[1].content end
  local title = nil
  if d.attributes.title and d.attributes.title ~= "" then
    title = pandoc.Inlines({ pandoc.Str(d.attributes.title) })
  elseif blocks[1] and blocks[1].t == "Header" and d.classes:find_if(function(c) return c:match("^callout") end) then
    title = blocks[1].content
    blocks = pandoc.Blocks({ table.unpack(blocks, 2) })
  end
  return callout(kind, blocks, title, d.identifier)
end

local ALERTS = { NOTE = "note", TIP = "tip", IMPORTANT = "important", WARNING = "warning", CAUTION = "caution" }

local function from_alert(q)
  local first = q.content[1]
  if not first or first.t ~= "Para" or not first.content[1] or first.content[1].t ~= "Str" then return nil end
  local kind = ALERTS[(first.content[1].text:match("^%[!(%a+)%]$") or ""):upper()]
  if not kind then return nil end
  local rest = pandoc.Inlines({ table.unpack(first.content, 2) })
  while rest[1] and (rest[1].t == "SoftBreak" or rest[1].t == "LineBreak" or rest[1].t == "Space") do rest:remove(1) end
  local blocks = pandoc.Blocks({ table.unpack(q.content, 2) })
  if #rest > 0 then blocks:insert(1, pandoc.Para(rest)) end
  return callout(kind, blocks)
end

-- Raw HTML: <aside> … </aside> and <div class="notice…"> … </div>, as one block or as an opening
-- and a closing block around Markdown.
-- Only a plain <aside> and the themes' notice classes: raw HTML with classes of its own (an
-- `<aside class="marginal">`, a `<div class="callout">`) is the author's structure and stays as written.
local function raw_kind(text)
  local open = text:match("^%s*(<aside[^>]*>)")
  if open then
    if open:match("%sclass%s*=") then return nil end
    return "aside", "aside"
  end
  local classes = text:match("^%s*<div%s[^>]-class%s*=%s*[\"']([^\"']*)[\"'][^>]*>")
  if classes then
    local list = pandoc.List()
    for c in classes:gmatch("%S+") do
      if c:match("^notice") or c:match("^block%-") then list:insert(c) end
    end
    local kind = kind_of(list)
    if kind then return kind, "div" end
  end
  return nil
end

local READER = "markdown-citations+tex_math_double_backslash+emoji+markdown_attribute-native_divs"

local function from_raw(blocks)
  local out, changed, i = pandoc.Blocks({}), false, 1
  while i <= #blocks do
    local b = blocks[i]
    local kind, tag = nil, nil
    if b.t == "RawBlock" and b.format:match("html") then kind, tag = raw_kind(b.text) end
    if kind then
      local whole = b.text:match("^%s*<" .. tag .. "[^>]*>(.*)</" .. tag .. ">%s*$")
      if whole then
        out:insert(callout(kind, pandoc.read(whole, READER).blocks))
        changed = true
      elseif b.text:match("^%s*<" .. tag .. "[^>]*>%s*$") then
        -- find the closing tag at this level, counting nested openings
        local depth, j = 1, i + 1
        while j <= #blocks do
          local c = blocks[j]
          if c.t == "RawBlock" and c.format:match("html") then
            if c.text:match("^%s*<" .. tag .. "[%s>]") then depth = depth + 1 end
            if c.text:match("^%s*</" .. tag .. ">%s*$") then depth = depth - 1 end
            if depth == 0 then break end
          end
          j = j + 1
        end
        if j <= #blocks then
          out:insert(callout(kind, pandoc.Blocks({ table.unpack(blocks, i + 1, j - 1) })))
          changed = true
          i = j
        else
          out:insert(b)
        end
      else
        out:insert(b)
      end
    else
      out:insert(b)
    end
    i = i + 1
  end
  return changed and out or nil
end

local saved = nil

return {
  { Meta = function(meta) saved = meta; return pandoc.Meta({}) end },
  { Blocks = from_raw },
  { Div = from_div, BlockQuote = from_alert },
  { Meta = function(_) return saved end },
}
