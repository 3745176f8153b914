-- Intake, the queue: what a page of it reads, kept fast at 100 000 cases of
-- one agency (docs/performance.md, "Intake"), and prefixes that belong to
-- one agency.
--
-- 1. The queue is sorted by resolution deadline. With the deadline right
--    after the agency in an index, the default page, a category and a
--    search by subject read the cases in order and stop after a page.
-- 2. Overdue cases are open ones: the open cases alone, in deadline order.
-- 3. subject_folded is the subject in lower case as Go folds it: SQLite's
--    lower() folds only A–Z, so "ärende" would never find "Ärende".
-- 4. A prefix is one agency's, so references never collide.

-- +goose Up
CREATE INDEX intake_cases_due_idx ON intake_cases (agency_id, resolution_due, id);
CREATE INDEX intake_cases_open_idx ON intake_cases (agency_id, resolution_due, id)
    WHERE status NOT IN ('resolved', 'closed', 'withdrawn');
ALTER TABLE intake_cases ADD COLUMN subject_folded TEXT NOT NULL DEFAULT '';
UPDATE intake_cases SET subject_folded = lower(subject);
CREATE UNIQUE INDEX intake_agencies_prefix_idx ON intake_agencies (reference_prefix);

-- +goose Down
DROP INDEX intake_agencies_prefix_idx;
ALTER TABLE intake_cases DROP COLUMN subject_folded;
DROP INDEX intake_cases_open_idx;
DROP INDEX intake_cases_due_idx;
