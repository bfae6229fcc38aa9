-- fetchd schema, version 4: how a crawl found an item's URL when not by a link ('sitemap'); NULL for seeds and
-- links. Nullable without a default: adding it rewrites no rows, and items written before read as found by links.
ALTER TABLE fetchd_items ADD COLUMN via text;
