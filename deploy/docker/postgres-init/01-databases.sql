-- One database per service: no service reads another one's tables; they share events over Kafka.
-- The postgres image runs this once, as POSTGRES_USER (who owns the databases), when it initialises an
-- empty data volume; for a volume made before a database was added here, create it by hand or start
-- over with `docker compose down -v`. Every database named in a service's
-- BLUEMAP_<SERVICE>_DATABASE_URL in docker-compose.yml must be here (tests/unit/test_compose.py checks).
CREATE DATABASE records;
CREATE DATABASE explanations;
CREATE DATABASE documents;
CREATE DATABASE notifications;
CREATE DATABASE portal;
