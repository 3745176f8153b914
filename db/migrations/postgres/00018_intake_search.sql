-- Intake, the queue's search: q= finds a piece of the subject (and, when it
-- has a digit, of the reference) through an index, however few cases hold it
-- (docs/performance.md, "Intake").
--
-- Trigram indexes (pg_trgm, shipped with PostgreSQL and trusted since 13, so
-- the database owner may create it) serve LIKE '%piece%' itself: what a
-- search finds stays exactly what it was, any substring, where full-text
-- search would match whole words or their beginnings only. subject_folded
-- is lower case as Go folds it, so the locale's lower() plays no part.
-- With few matches the planner reads them from these indexes; with many it
-- still walks intake_cases_due_idx in deadline order and stops after a page.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX intake_cases_subject_trgm_idx ON intake_cases USING gin (subject_folded gin_trgm_ops);
CREATE INDEX intake_cases_reference_trgm_idx ON intake_cases USING gin (reference gin_trgm_ops);

-- +goose Down
-- The extension stays: it may have been there before, for something else.
DROP INDEX intake_cases_reference_trgm_idx;
DROP INDEX intake_cases_subject_trgm_idx;
