-- Customers and do-not-call per tenant (issue 13): one phone may have a card in each
-- tenant, and a tenant's do-not-call entries apply to its own campaigns only.
--
-- An existing database migrates in place and keeps every row: its cards were unique by
-- phone, so they are unique by (phone, tenant); its do-not-call entries become the
-- center's (tenant NULL), which block every tenant's campaigns as they blocked every
-- campaign before. No table is rewritten; the unique indexes are rebuilt once, at the
-- restart that applies this file.

-- Customers: the card of a caller is looked up with both its phone and the tenant of
-- the number called (store/directory.py's find_customer), one exact match on this index.
-- Phone first: the same index answers "every tenant's card for this phone".
ALTER TABLE customers ADD CONSTRAINT customers_phone_tenant_key UNIQUE (phone, tenant);
ALTER TABLE customers DROP CONSTRAINT customers_phone_key;

-- Do-not-call: tenant NULL is the center's list (legal registers, entries an
-- administrator adds), checked for every campaign; a tenant's entries are checked for
-- that tenant's campaigns only. Written by the service without a tenant, an entry is
-- the center's; written for a tenant (SET LOCAL callrouter.tenant), it is the tenant's.
ALTER TABLE do_not_call
    ADD COLUMN tenant text DEFAULT nullif(current_setting('callrouter.tenant', true), '');
-- One entry per phone and list, the center's included (NULLS NOT DISTINCT: PostgreSQL 15).
-- The dialer's check reads phone = ANY(...) AND (tenant IS NULL OR tenant = ...) on it.
ALTER TABLE do_not_call
    ADD CONSTRAINT do_not_call_phone_tenant_key UNIQUE NULLS NOT DISTINCT (phone, tenant);
ALTER TABLE do_not_call DROP CONSTRAINT do_not_call_pkey;

-- A tenant's session (store/tenants.py) reads its own entries and the center's (its
-- campaigns are checked against both), and writes or removes only its own.
ALTER TABLE do_not_call ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON do_not_call FOR SELECT TO callrouter_tenant
    USING (tenant IS NULL OR tenant = current_setting('callrouter.tenant', true));
CREATE POLICY tenant_writes ON do_not_call FOR ALL TO callrouter_tenant
    USING (tenant = current_setting('callrouter.tenant', true))
    WITH CHECK (tenant = current_setting('callrouter.tenant', true));
