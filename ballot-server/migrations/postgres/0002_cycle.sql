-- The yearly cycle, PostgreSQL (spec/api.md §9): congresses, proposals and their public history, the
-- negative list, candidate projects, approvals, and the supervision of adopted projects.
-- The history tables are append-only: triggers refuse every UPDATE and DELETE.

ALTER TABLE elections ADD COLUMN congress_id TEXT;
ALTER TABLE elections ADD COLUMN year BIGINT;
ALTER TABLE elections ADD COLUMN purpose TEXT;

CREATE FUNCTION piaojue_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE congresses (
    id TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    level TEXT NOT NULL,
    parent TEXT REFERENCES congresses (id),
    approver_zh TEXT NOT NULL,
    approver_en TEXT NOT NULL,
    deputies BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE deputy_codes (
    code_hash TEXT PRIMARY KEY,
    congress_id TEXT NOT NULL REFERENCES congresses (id),
    seq BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (congress_id, seq)
);

CREATE TABLE proposals (
    number TEXT PRIMARY KEY,
    congress_id TEXT NOT NULL REFERENCES congresses (id),
    year BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    location TEXT NOT NULL,
    category TEXT NOT NULL,
    submitter_kind TEXT NOT NULL,
    submitter_name TEXT,
    deputy_seq BIGINT,
    contact TEXT,
    status TEXT NOT NULL,
    merged_into TEXT,
    candidate_id TEXT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX proposals_congress_year ON proposals (congress_id, year);

CREATE TABLE proposal_history (
    number TEXT NOT NULL REFERENCES proposals (number),
    seq BIGINT NOT NULL,
    time_ms BIGINT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (number, seq)
);
CREATE TRIGGER proposal_history_append_only BEFORE UPDATE OR DELETE ON proposal_history
    FOR EACH ROW EXECUTE FUNCTION piaojue_append_only();

CREATE TABLE negative_list (
    id TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    label_zh TEXT NOT NULL,
    label_en TEXT NOT NULL,
    keywords TEXT NOT NULL
);
INSERT INTO negative_list (id, position, label_zh, label_en, keywords) VALUES
    ('office-buildings', 0, '楼堂馆所建设', 'Office buildings and halls', '办公楼,楼堂馆所,会议中心,培训中心,办公用房'),
    ('new-debt', 1, '新增政府隐性债务的项目', 'Projects that raise hidden government debt', '举债,借款,融资平台,贷款'),
    ('image-projects', 2, '形象工程、政绩工程', 'Image and vanity projects', '形象工程,景观大道,广场雕塑,亮化工程,地标'),
    ('commercial', 3, '营利性、商业开发项目', 'Commercial, for-profit development', '商业开发,房地产,盈利,商铺'),
    ('routine-duties', 4, '部门日常工作与已安排的常规项目', 'Departments'' routine work and projects already funded', '日常工作,常规,已列入预算');

CREATE TABLE candidates (
    id TEXT PRIMARY KEY,
    congress_id TEXT NOT NULL REFERENCES congresses (id),
    year BIGINT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    department_zh TEXT NOT NULL,
    department_en TEXT NOT NULL,
    investment_yuan BIGINT NOT NULL,
    completion TEXT NOT NULL,
    description_zh TEXT NOT NULL,
    description_en TEXT NOT NULL,
    sources TEXT NOT NULL,
    adopted BIGINT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX candidates_congress_year ON candidates (congress_id, year);

-- Which candidate project (or rated department) each option of a cycle election is.
CREATE TABLE election_options (
    election_id TEXT NOT NULL,
    option_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    candidate_id TEXT REFERENCES candidates (id),
    PRIMARY KEY (election_id, option_id)
);
CREATE INDEX election_options_candidate ON election_options (candidate_id);

CREATE TABLE approvals (
    election_id TEXT PRIMARY KEY,
    congress_id TEXT NOT NULL REFERENCES congresses (id),
    year BIGINT NOT NULL,
    body_zh TEXT NOT NULL,
    body_en TEXT NOT NULL,
    reference TEXT NOT NULL,
    date TEXT NOT NULL,
    seats BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE project_plans (
    candidate_id TEXT PRIMARY KEY REFERENCES candidates (id),
    department_zh TEXT NOT NULL,
    department_en TEXT NOT NULL,
    budget_yuan BIGINT NOT NULL,
    milestones TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE progress_updates (
    id BIGSERIAL PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    date TEXT NOT NULL,
    percent BIGINT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    update_id BIGINT NOT NULL REFERENCES progress_updates (id),
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    body BYTEA NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE inspection_notes (
    id BIGSERIAL PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    congress_id TEXT NOT NULL,
    deputy_seq BIGINT NOT NULL,
    date TEXT NOT NULL,
    text TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TRIGGER progress_updates_append_only BEFORE UPDATE OR DELETE ON progress_updates
    FOR EACH ROW EXECUTE FUNCTION piaojue_append_only();
CREATE TRIGGER inspection_notes_append_only BEFORE UPDATE OR DELETE ON inspection_notes
    FOR EACH ROW EXECUTE FUNCTION piaojue_append_only();
