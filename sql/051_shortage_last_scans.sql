-- The last business day each consortium's drugs were all scanned for shortages (issue 22's daily scan), kept by the
-- database instead of by each server (issue 28): a server that starts, or a second server, scans on its first pass
-- only the consortia not yet scanned today and those with marks (shortage_scan_dirty), not the whole province again.
-- Written in the scan's own transaction; the CLI's scan (cron) counts as well.
CREATE TABLE shortage_last_scans (
    consortium_id   bigint PRIMARY KEY REFERENCES consortia (id),
    last_scanned_on date NOT NULL,
    scanned_at      timestamptz NOT NULL DEFAULT now()
);
