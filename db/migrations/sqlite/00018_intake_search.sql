-- Intake, the queue's search: q= finds a piece of the subject (and, when it
-- has a digit, of the reference) through an index, however few cases hold it
-- (docs/performance.md, "Intake").
--
-- An FTS5 table with the trigram tokenizer finds any piece of three or more
-- characters, so a search finds what LIKE '%piece%' found, not only whole
-- words; the store checks each candidate with that LIKE again. The table
-- keeps its own copy of the text under a key of its own: intake_cases has
-- no INTEGER PRIMARY KEY, and VACUUM may renumber its rowids, which an
-- external-content table depends on. Triggers keep it current; the INSERT
-- at the end fills it from the cases already there.

-- +goose Up
CREATE TABLE intake_case_search_keys (
    n       INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE intake_case_search USING fts5(case_id UNINDEXED, subject, reference, tokenize = 'trigram');

-- +goose StatementBegin
CREATE TRIGGER intake_case_search_insert AFTER INSERT ON intake_cases
BEGIN
    INSERT INTO intake_case_search_keys (case_id) VALUES (NEW.id);
    INSERT INTO intake_case_search (rowid, case_id, subject, reference)
        VALUES ((SELECT n FROM intake_case_search_keys WHERE case_id = NEW.id), NEW.id, NEW.subject_folded, NEW.reference);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER intake_case_search_update AFTER UPDATE OF subject_folded, reference ON intake_cases
BEGIN
    DELETE FROM intake_case_search WHERE rowid = (SELECT n FROM intake_case_search_keys WHERE case_id = OLD.id);
    INSERT INTO intake_case_search (rowid, case_id, subject, reference)
        VALUES ((SELECT n FROM intake_case_search_keys WHERE case_id = OLD.id), NEW.id, NEW.subject_folded, NEW.reference);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER intake_case_search_delete AFTER DELETE ON intake_cases
BEGIN
    DELETE FROM intake_case_search WHERE rowid = (SELECT n FROM intake_case_search_keys WHERE case_id = OLD.id);
    DELETE FROM intake_case_search_keys WHERE case_id = OLD.id;
END;
-- +goose StatementEnd

INSERT INTO intake_case_search_keys (case_id) SELECT id FROM intake_cases;
INSERT INTO intake_case_search (rowid, case_id, subject, reference)
    SELECT k.n, c.id, c.subject_folded, c.reference FROM intake_cases c JOIN intake_case_search_keys k ON k.case_id = c.id;

-- +goose Down
DROP TRIGGER intake_case_search_delete;
DROP TRIGGER intake_case_search_update;
DROP TRIGGER intake_case_search_insert;
DROP TABLE intake_case_search;
DROP TABLE intake_case_search_keys;
