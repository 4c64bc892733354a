"""Citations and bibliographies (issue 14): distill elements, jekyll-scholar tags, bibliography lookup."""
