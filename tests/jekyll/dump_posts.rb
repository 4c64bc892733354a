# Jekyll plugin used only by tests/jekyll/regenerate.py: writes what Jekyll computed for every post
# (site.posts, after rendering) to the JSON file named by $PUBLISHER_DUMP.
require "json"

class PublisherDump
  include Liquid::StandardFilters
end

Jekyll::Hooks.register :site, :post_write do |site|
  posts = site.posts.docs.map do |doc|
    excerpt = doc.data["excerpt"]
    excerpt_html = excerpt.respond_to?(:output) ? excerpt.output.to_s : excerpt.to_s
    {
      "source" => doc.relative_path,
      "title" => doc.data["title"].to_s,
      "date" => doc.date.iso8601,
      "slug_data" => doc.data["slug"].to_s,
      "slug" => Jekyll::Utils.slugify(doc.data["slug"].to_s),
      "categories" => doc.data["categories"].map(&:to_s),
      "tags" => doc.data["tags"].map(&:to_s),
      "excerpt" => PublisherDump.new.strip_html(excerpt_html).gsub(/\s+/, " ").strip,
      "url" => doc.url,
      "draft" => doc.draft?,
    }
  end
  File.write(ENV.fetch("PUBLISHER_DUMP"), JSON.pretty_generate(posts.sort_by { |p| p["source"] }) + "\n")
end
