-- bio.lua: a closing biography after the last horizontal rule becomes "About the author".
--
-- Papers end with `---` and a short paragraph about the author. When the blocks after the
-- last top-level horizontal rule are short (no headings, at most three paragraphs), they are
-- moved into the `bio` metadata field and the rule is dropped; the editions place the block
-- at the end under an "About the author" heading.

local MAX_BLOCKS = 3

function Pandoc(doc)
  local last = nil
  for i, b in ipairs(doc.blocks) do
    if b.t == "HorizontalRule" then last = i end
  end
  if last == nil or last == #doc.blocks then return nil end
  local tail = pandoc.Blocks({})
  for i = last + 1, #doc.blocks do
    local b = doc.blocks[i]
    if b.t == "Header" then return nil end
    tail:insert(b)
  end
  if #tail > MAX_BLOCKS then return nil end
  local kept = pandoc.Blocks({})
  for i = 1, last - 1 do kept:insert(doc.blocks[i]) end
  doc.blocks = kept
  doc.meta.bio = pandoc.MetaBlocks(tail)
  return doc
end
