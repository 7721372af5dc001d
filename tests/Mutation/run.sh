#!/usr/bin/env bash
# Mutation testing for the files where a silent bug costs most (docs/mutation-testing.md).
# Not part of CI and not part of `dotnet test CoordBot.sln`: run it by hand.
#
#   tests/Mutation/run.sh            # every target, one after the other
#   tests/Mutation/run.sh core       # one target (names below)
#
# Each Stryker target mutates its file(s) with Stryker.NET and runs only the tests that exercise them (a
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
  "core|CoordBot.csproj|src/CoordBot/CheckIns/RunChart.cs,src/CoordBot/CheckIns/SignedLinks.cs,src/CoordBot/Outbox/OutboxStore.cs|FullyQualifiedName~CoordBot.Tests.CheckIns.RunChart|FullyQualifiedName~CoordBot.Tests.CheckIns.ChartTests|FullyQualifiedName~CoordBot.Tests.CheckIns.MetricTests|FullyQualifiedName~CoordBot.Tests.CheckIns.SignedLink|FullyQualifiedName~CoordBot.Tests.Outbox.OutboxTests"
  "slack-signature|CoordBot.Slack.csproj|src/CoordBot.Slack/SlackSignature.cs|FullyQualifiedName~CoordBot.Tests.Slack.SlackSignature|FullyQualifiedName~CoordBot.Tests.Slack.SlackVerification"
  "botframework-auth|CoordBot.Teams.csproj|src/CoordBot.Teams/Auth/BotFrameworkAuthenticator.cs|FullyQualifiedName~CoordBot.Tests.Teams.BotFrameworkAuth"
  "outbox-postgres|CoordBot.csproj|src/CoordBot/Outbox/OutboxStore.cs|FullyQualifiedName~CoordBot.Tests.Outbox.OutboxTests.On_postgres|FullyQualifiedName~CoordBot.Tests.Outbox.OutboxTests.Expired_claims|FullyQualifiedName~CoordBot.Tests.Outbox.OutboxTests.Renewed_claims|FullyQualifiedName~CoordBot.Tests.Outbox.OutboxTests.An_unreadable_row"
)

# core mutates the three files of the main project in one Stryker run (one build, one compilation of the mutants),
# each mutant tested only by the filtered tests that cover it.
# outbox-postgres mutates OutboxStore.cs again and runs its tests on PostgreSQL (tests/CoordBot.Tests.Postgres), for
# the statements that run only there; it is skipped when no server is reachable. (Stryker cannot take both test
# projects in one run: their tests have the same names.) The summary merges the two outbox runs.
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
  if [[ "$name" == outbox-postgres ]]; then
    if [[ $postgres == 0 ]]; then
      echo "== $name: skipped, no PostgreSQL server at ${pg_host:-127.0.0.1}:${pg_port:-5432}: the outbox's PostgreSQL-only statements are not tested" >&2
      continue
    fi
    projects=(--test-project "$here/../CoordBot.Tests.Postgres/CoordBot.Tests.Postgres.csproj")
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
outbox_reports=("$out"/core/reports/mutation-report.json "$out"/outbox-postgres/reports/mutation-report.json)
if [[ -f "${outbox_reports[0]}" && -f "${outbox_reports[1]}" ]]; then
  # A mutant is killed when either run killed it (the same source gives the same mutants, matched by place and kind).
  jq -rs '[.[] | .files | to_entries[] | select(.key | endswith("OutboxStore.cs")) | .value.mutants[]] | group_by("\(.location.start.line):\(.location.start.column):\(.mutatorName):\(.replacement)")
    | map(map(.status)) | map(if any(.[]; . == "Killed" or . == "Timeout") then "Killed" elif any(.[]; . == "Survived") then "Survived"
        elif any(.[]; . == "NoCoverage") then "NoCoverage" else "Other" end)
    | ([.[] | select(. == "Killed")] | length) as $k | ([.[] | select(. == "Survived")] | length) as $v | ([.[] | select(. == "NoCoverage")] | length) as $n
    | "  src/CoordBot/Outbox/OutboxStore.cs, SQLite and PostgreSQL together  killed \($k) / survived \($v) / no coverage \($n)  = \((1000 * $k / ($k + $v + $n) | round) / 10) %"' \
    "${outbox_reports[@]}"
fi
[[ -f "$out/workspace-filters.log" && ( -z "$only" || "$only" == workspace-filters ) ]] && sed -n '/^Workspace filters/,$p' "$out/workspace-filters.log"
echo "Total wall time: $((SECONDS - start)) s"
