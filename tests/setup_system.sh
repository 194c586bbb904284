#!/usr/bin/env bash
# System dependencies the tests need, installed or started where missing (never skipped):
# - Java 17 for Spark local mode (Debian's openjdk-17-jre-headless)
# - a PostgreSQL server on 127.0.0.1:5432 (tests/pg.py starts a throwaway one when none answers)
set -euo pipefail
if ! command -v java >/dev/null 2>&1; then
  echo "installing openjdk-17-jre-headless for Spark tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "installing postgresql (tests start a throwaway server when none answers on 127.0.0.1:5432)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
