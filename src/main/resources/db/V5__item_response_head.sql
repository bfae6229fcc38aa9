-- fetchd schema, version 5: the heads of the exchange that gave an item's stored body, for the WARC export
-- (GET /jobs/{id}/warc). HTTP/1.1 wire form, bounded by the fetcher (64 headers, 16 KiB); the request's secret
-- header values are kept as "***" only. Null for items fetched before this version and items without a body.
-- (Numbered 5, not 4: version 4 is taken by another change made in parallel.)

ALTER TABLE fetchd_items ADD COLUMN request_head text, ADD COLUMN response_head text;
