-- math-environments.lua: equation environments, \tag and \label in a form pandoc's TeX reader draws.
--
-- MathJax typesets `\begin{equation}…\end{equation}`, `equation*`, a display formula with `\tag{…}`
-- or `\label{…}`, and `subequations`; pandoc's TeX reader (texmath) refuses them, and the formula
-- would be shown as TeX source. This filter, last of the house filters (the cross-reference stage
-- has read the labels by then), rewrites each formula:
--   equation → gather, equation* → gather* (one centred row, the same drawing);
--   a display formula with \tag, \label, \notag or \nonumber outside an environment → in a gather;
--   a row break `\\` outside any environment and brace group (texmath refuses the formula): in
--   display math → in a gather (the rows one under the other, a last empty row dropped), in inline
--   math → a space (MathJax sets an inline formula on one line);
--   \tag{X} → "(X)" set after the formula, \tag*{X} → "X"; subequations is dropped;
--   in inline math, \label, \notag and \nonumber are dropped.

local function tags(text)
  text = text:gsub("\\tag%*%s*(%b{})", function(g) return "\\qquad\\text{" .. g:sub(2, -2) .. "}" end)
  text = text:gsub("\\tag%s*(%b{})", function(g) return "\\qquad\\text{(" .. g:sub(2, -2) .. ")}" end)
  return text
end

-- TEXT with every `\\` outside all brace groups (not the one of \substack{a \\ b}) replaced by
-- SEP, and how many there were.
local function toplevel_breaks(text, sep)
  local out, depth, i, n, found = {}, 0, 1, #text, 0
  while i <= n do
    local c = text:sub(i, i)
    if c == "\\" then
      if depth == 0 and text:sub(i + 1, i + 1) == "\\" then
        out[#out + 1] = sep
        found = found + 1
      else
        out[#out + 1] = text:sub(i, i + 1)
      end
      i = i + 2
    else
      if c == "{" then depth = depth + 1 elseif c == "}" then depth = depth - 1 end
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out), found
end

function Math(m)
  local text = m.text
  if not text:find("\\begin{", 1, true) then
    local joined, breaks = toplevel_breaks(text, "\\ ")
    if breaks > 0 and m.mathtype == "InlineMath" then
      text = joined  -- MathJax sets an inline formula on one line: the rows side by side
    elseif breaks > 0 then
      text = "\\begin{gather}" .. text:gsub("\\\\%s*$", "") .. "\\end{gather}"  -- no empty last row
    end
  end
  if not (text ~= m.text or text:find("\\tag", 1, true) or text:find("\\label", 1, true) or text:find("\\begin{", 1, true)
          or text:find("\\notag", 1, true) or text:find("\\nonumber", 1, true)) then
    return nil
  end
  text = text:gsub("\\begin%s*{subequations}", ""):gsub("\\end%s*{subequations}", "")
  if m.mathtype == "InlineMath" then
    text = text:gsub("\\label%s*%b{}", ""):gsub("\\notag%f[^%a]", ""):gsub("\\nonumber%f[^%a]", "")
    text = tags(text)
  else
    text = text:gsub("\\begin%s*{equation(%*?)}", "\\begin{gather%1}"):gsub("\\end%s*{equation(%*?)}", "\\end{gather%1}")
    if not text:find("\\begin{", 1, true) then
      text = "\\begin{gather}" .. text .. "\\end{gather}"
    end
    text = tags(text)
  end
  if text == m.text then return nil end
  m.text = text
  return m
end
