-- Issue 23: every long prescription carries the national insurance e-prescription record, so each has a trace code
-- (rxTraceCode, 20 characters). Those issued before this migration get one made from their id ('LP' and the id in
-- 18 digits); new ones get a random one at issue (`TraceCodes.make`).
UPDATE long_prescriptions SET rx_trace_code = 'LP' || lpad(id::text, 18, '0') WHERE rx_trace_code IS NULL;
