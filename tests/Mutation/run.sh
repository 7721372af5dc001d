#!/usr/bin/env bash
# Mutation testing for the files where a silent bug costs most (docs/mutation-testing.md).
# Not part of CI and not part of `dotnet test CoordBot.sln`: run it by hand.
#
#   tests/Mutation/run.sh            # every target, one after the other
#   tests/Mutation/run.sh runchart   # one target (names below)
#
# Each Stryker target mutates one file with Stryker.NET and runs only the tests that exercise it (a
# test-case filter). The workspace-filters target does the same for the stores' SQL, which Stryker cannot
# mutate: plant-filters.py removes each workspace filter in turn and runs the isolation tests. Reports go to tests/Mutation/out/<target>/ (git-ignored); the script ends
# with one score line per file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tests="$here/../CoordBot.Tests/CoordBot.Tests.csproj"
out="$here/out"
concurrency="${STRYKER_CONCURRENCY:-2}"

# name | project to mutate | files (comma-separated, relative to the repository root) | test filter
targets=(
  "runchart|CoordBot.csproj|src/CoordBot/CheckIns/RunChart.cs|FullyQualifiedName~CoordBot.Tests.CheckIns.RunChart|FullyQualifiedName~CoordBot.Tests.CheckIns.ChartTests|FullyQualifiedName~CoordBot.Tests.CheckIns.MetricTests"
  "slack-signature|CoordBot.Slack.csproj|src/CoordBot.Slack/SlackSignature.cs|FullyQualifiedName~CoordBot.Tests.Slack.SlackSignature|FullyQualifiedName~CoordBot.Tests.Slack.SlackVerification"
  "botframework-auth|CoordBot.Teams.csproj|src/CoordBot.Teams/Auth/BotFrameworkAuthenticator.cs|FullyQualifiedName~CoordBot.Tests.Teams.BotFrameworkAuth"
  "signed-links|CoordBot.csproj|src/CoordBot/CheckIns/SignedLinks.cs|FullyQualifiedName~CoordBot.Tests.CheckIns.SignedLink|FullyQualifiedName~CoordBot.Tests.CheckIns.ChartTests|FullyQualifiedName~CoordBot.Tests.CheckIns.DigestTranscript"
  "outbox|CoordBot.csproj|src/CoordBot/Outbox/OutboxStore.cs|FullyQualifiedName~CoordBot.Tests.Outbox"
)

# Targets whose file has PostgreSQL-only statements: with a server reachable they also run the PostgreSQL leg
# (tests/CoordBot.Tests.Postgres, the same tests on PostgreSQL), else those statements' mutants survive.
postgres_targets=" outbox "
pg="${COORDBOT_TEST_POSTGRES:-Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres;Database=postgres}"
pg_host="$(sed -n 's/.*Host=\([^;]*\).*/\1/p' <<<"$pg")"; pg_port="$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$pg")"
if (exec 3<>"/dev/tcp/${pg_host:-127.0.0.1}/${pg_port:-5432}") 2>/dev/null; then postgres=1; else postgres=0; fi

only="${1:-}"
names="$(printf '%s\n' "${targets[@]}" | cut -d'|' -f1; echo workspace-filters)"
if [[ -n "$only" ]] && ! grep -qx -- "$only" <<<"$names"; then
  echo "Unknown target '$only'. Targets: $(tr '\n' ' ' <<<"$names")" >&2
  exit 2
fi

cd "$here"
dotnet tool restore >/dev/null
mkdir -p "$out"
start=$SECONDS
ran=()
for t in "${targets[@]}"; do
  IFS='|' read -r name project files filter <<<"$t"
  filter="${t#*|*|*|}"
  [[ -n "$only" && "$only" != "$name" ]] && continue
  mutate=()
  IFS=',' read -ra list <<<"$files"
  for f in "${list[@]}"; do mutate+=(--mutate "**/${f#src/*/}"); done
  projects=(--test-project "$tests")
  if [[ "$postgres_targets" == *" $name "* ]]; then
    if [[ $postgres == 1 ]]; then
      projects+=(--test-project "$here/../CoordBot.Tests.Postgres/CoordBot.Tests.Postgres.csproj")
    else
      echo "== $name: no PostgreSQL server at ${pg_host:-127.0.0.1}:${pg_port:-5432}; its PostgreSQL-only statements will not be tested" >&2
    fi
  fi
  echo "== $name: $files"
  t0=$SECONDS
  rm -rf "$out/$name"
  dotnet tool run dotnet-stryker -- \
    "${projects[@]}" --project "$project" "${mutate[@]}" \
    --test-case-filter "$filter" --concurrency "$concurrency" --test-runner mtp \
    --reporter json --reporter html --reporter progress \
    --output "$out/$name" || { echo "Stryker failed for $name" >&2; exit 1; }
  echo "== $name took $((SECONDS - t0)) s"
  ran+=("$name")
done

if [[ -z "$only" || "$only" == workspace-filters ]]; then
  echo "== workspace-filters: the workspace filters of the store files' SQL"
  t0=$SECONDS
  rm -rf "$out/workspace-filters"
  python3 "$here/plant-filters.py" "$out/workspace-filters" "$concurrency" | tee "$out/workspace-filters.log" || { echo "plant-filters.py failed" >&2; exit 1; }
  echo "== workspace-filters took $((SECONDS - t0)) s"
fi

echo
echo "Mutation scores (killed / survived / timeout / no coverage; score = killed+timeout over those four):"
for name in "${ran[@]}"; do
  report="$(find "$out/$name" -name mutation-report.json | head -n 1)"
  jq -r '.files | to_entries[]
    | (.value.mutants | map(.status)) as $s
    | ([$s[] | select(. == "Killed")] | length) as $k | ([$s[] | select(. == "Survived")] | length) as $v
    | ([$s[] | select(. == "Timeout")] | length) as $t | ([$s[] | select(. == "NoCoverage")] | length) as $n
    | select($k + $v + $t + $n > 0)
    | "  \(.key | sub(".*/src/"; "src/"))  killed \($k) / survived \($v) / timeout \($t) / no coverage \($n)  = \((1000 * ($k + $t) / ($k + $v + $t + $n) | round) / 10) %"' "$report"
done
[[ -f "$out/workspace-filters.log" && ( -z "$only" || "$only" == workspace-filters ) ]] && sed -n '/^Workspace filters/,$p' "$out/workspace-filters.log"
echo "Total wall time: $((SECONDS - start)) s"
