-- A commission rule's value is a Long in the API (64-bit money): a FIXED commission is minor units
-- per unit shipped, up to 2^63 − 1 like every amount. The column was a 32-bit integer, so larger
-- FIXED amounts were refused. The CHECK (value >= 0, PERCENT at most 10000 basis points) carries over.
ALTER TABLE finance.commission_rules ALTER COLUMN value TYPE bigint;
