-- Tenants (issue 13): every row of a client company's data carries its tenant, and
-- PostgreSQL itself keeps one tenant from reading another's (row-level security).
--
-- How isolation works:
-- - The service connects as the tables' owner (or a superuser): it writes every
--   tenant's rows and is not subject to the policies below (it owns the tables and
--   they are not FORCE ROW LEVEL SECURITY).
-- - Whatever acts for one tenant (an API request with a tenant's token, a CLI command
--   with --tenant) runs in a transaction that does SET LOCAL ROLE callrouter_tenant and
--   set_config('callrouter.tenant', <id>, true) (callrouter/store/tenants.py). That role
--   sees and writes only rows whose tenant equals the setting; with no setting it sees
--   nothing at all.
-- - The roles are the cluster's, so CREATE ROLE needs the CREATEROLE privilege (the
--   embedded server's user has it). Where the service's user lacks it, an administrator
--   runs once: CREATE ROLE callrouter_tenant NOLOGIN; GRANT callrouter_tenant TO <user>;
--
-- An existing single-tenant database migrates in place: ADD COLUMN with a default is
-- a catalogue change (no table rewrite), every existing row reads as tenant 'default'.
-- New rows written without a tenant get the session's tenant, else 'default'.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'callrouter_tenant') THEN
        BEGIN
            CREATE ROLE callrouter_tenant NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database of this cluster created it meanwhile
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'callrouter_tenant', 'MEMBER') THEN
        EXECUTE format('GRANT callrouter_tenant TO %I', current_user);
    END IF;
END $$;

CREATE FUNCTION callrouter_session_tenant() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('callrouter.tenant', true), ''), 'default')
$$;

ALTER TABLE calls ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
ALTER TABLE call_events ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
ALTER TABLE recordings ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
ALTER TABLE campaigns ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
ALTER TABLE leads ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
ALTER TABLE attempts ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
ALTER TABLE customers ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
ALTER TABLE callbacks ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
ALTER TABLE webhook_deliveries
    ADD COLUMN tenant text NOT NULL DEFAULT callrouter_session_tenant();
-- A queue's tenant is in its configuration, which sync_directory stores as settings.
ALTER TABLE queues
    ADD COLUMN tenant text GENERATED ALWAYS AS (coalesce(settings->>'tenant', 'default')) STORED;

CREATE INDEX calls_tenant_created_idx ON calls (tenant, created_at);
CREATE INDEX recordings_tenant_started_idx ON recordings (tenant, started_at);
CREATE INDEX callbacks_tenant_due_idx ON callbacks (tenant, due_at);

-- Rows the routing path writes (calls, call_events, recordings) carry their tenant
-- from the writer: no lookup per row. The rarer rows below take it from their parent,
-- so the code that writes them need not know tenants at all.
CREATE FUNCTION callrouter_tenant_from_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent text;
BEGIN
    IF TG_TABLE_NAME = 'campaigns' THEN
        parent := NEW.settings->>'tenant';
    ELSIF TG_TABLE_NAME IN ('leads', 'attempts') THEN
        SELECT tenant INTO parent FROM campaigns WHERE id = NEW.campaign_id;
    ELSIF TG_TABLE_NAME = 'callbacks' AND NEW.queue_name IS NOT NULL THEN
        SELECT tenant INTO parent FROM queues WHERE name = NEW.queue_name;
    END IF;
    NEW.tenant := coalesce(parent, NEW.tenant);
    RETURN NEW;
END $$;

CREATE TRIGGER campaigns_tenant BEFORE INSERT OR UPDATE OF settings ON campaigns
    FOR EACH ROW EXECUTE FUNCTION callrouter_tenant_from_parent();
CREATE TRIGGER leads_tenant BEFORE INSERT ON leads
    FOR EACH ROW EXECUTE FUNCTION callrouter_tenant_from_parent();
CREATE TRIGGER attempts_tenant BEFORE INSERT ON attempts
    FOR EACH ROW EXECUTE FUNCTION callrouter_tenant_from_parent();
CREATE TRIGGER callbacks_tenant BEFORE INSERT ON callbacks
    FOR EACH ROW EXECUTE FUNCTION callrouter_tenant_from_parent();

-- What a tenant's session may touch at all; the policies narrow it to its rows.
GRANT USAGE ON SCHEMA public TO callrouter_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO callrouter_tenant;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO callrouter_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO callrouter_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO callrouter_tenant;

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['calls', 'call_events', 'recordings', 'campaigns', 'leads',
                                'attempts', 'customers', 'callbacks', 'webhook_deliveries',
                                'queues']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I TO callrouter_tenant'
            ' USING (tenant = current_setting(''callrouter.tenant'', true))'
            ' WITH CHECK (tenant = current_setting(''callrouter.tenant'', true))', name);
    END LOOP;
END $$;
