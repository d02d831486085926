-- The database of the saga's three state stores, made or brought back to
-- what it must be at every start of the pod (init.sh runs it as the
-- superuser postgres, on a server listening on its Unix socket alone):
-- each store's role, with the password of its own Secret, owns a schema of
-- its name in the database saga and may use nothing else. Everything here
-- may run again on existing data; a changed password is set again.
\set ON_ERROR_STOP on

SELECT 'CREATE DATABASE saga' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'saga') \gexec
-- Nobody may connect to a database unless granted: the stores' roles get
-- saga alone.
REVOKE ALL ON DATABASE postgres FROM PUBLIC;
REVOKE ALL ON DATABASE template1 FROM PUBLIC;
REVOKE ALL ON DATABASE saga FROM PUBLIC;

\connect saga
-- Not the notices of what exists already, at every start but the first.
SET client_min_messages = warning;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- The passwords come from the environment (psql 15's \getenv), which the
-- manifest fills from the Secrets (init.sh checks that each is there), and
-- reach the DO block as settings of this session: never a command line,
-- and \gset keeps them off the output.
\getenv orderstore_password ORDERSTORE_PASSWORD
\getenv stockstore_password STOCKSTORE_PASSWORD
\getenv paymentstore_password PAYMENTSTORE_PASSWORD
SELECT set_config('saga.orderstore_password', :'orderstore_password', false) AS orderstore_password \gset
SELECT set_config('saga.stockstore_password', :'stockstore_password', false) AS stockstore_password \gset
SELECT set_config('saga.paymentstore_password', :'paymentstore_password', false) AS paymentstore_password \gset

DO $$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['orderstore', 'stockstore', 'paymentstore'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = s) THEN
      EXECUTE format('CREATE ROLE %I LOGIN', s);
    END IF;
    EXECUTE format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L',
                   s, current_setting('saga.' || s || '_password'));
    EXECUTE format('GRANT CONNECT ON DATABASE saga TO %I', s);
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', s, s);
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', s);
  END LOOP;
END
$$;
