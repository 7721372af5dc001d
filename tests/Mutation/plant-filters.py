#!/usr/bin/env python3
"""Plants the removal of each workspace filter in the stores' SQL, one at a time, and runs the isolation tests.

Stryker mutates C#, and a workspace filter is SQL text inside a string, which Stryker can only blank out
whole. So this does for the filters what Stryker does for code (docs/mutation-testing.md):

1. copies the working tree to a temporary folder;
2. rewrites every `workspace_id = @X` (with or without a table alias) in the store files into
   `(workspace_id = @X OR coordbot_plant(N) = 1)`, and registers `coordbot_plant` on every SQLite connection:
   it is true only for the plant named by the COORDBOT_PLANT environment variable;
3. builds the test project once;
4. runs the workspace tests once with no plant (they must pass), then once per plant, two at a time, stopping
   at the first failing test: a plant some test notices is killed, one no test notices survives.

Usage: plant-filters.py OUTPUT_FOLDER [CONCURRENCY]. Writes OUTPUT_FOLDER/report.tsv and prints one line per plant.
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STORES = [
    "src/CoordBot/Allies/AllyStore.cs",
    "src/CoordBot/Elections/ElectionStore.cs",
    "src/CoordBot/CheckIns/Initiative.cs",
    "src/CoordBot/CheckIns/CheckInStore.cs",
    "src/CoordBot/Downloads/DownloadStore.cs",
    "src/CoordBot/Workspaces/WorkspaceStore.cs",
    "src/CoordBot/Workspaces/MemberZoneStore.cs",
]
TEST_CLASSES = ["CoordBot.Tests.Workspaces.WorkspaceIsolationTests", "CoordBot.Tests.Workspaces.WorkspaceReferenceTests"]
# Filters no test can notice, because removing one changes nothing that anyone can see: the ids it is given come from
# a workspace-scoped read, ids are unique across workspaces, or the composite foreign keys (migration 15) refuse the
# write before the statement runs. Kept as defence in depth; like Stryker's equivalent mutants, not counted.
EQUIVALENT = {
    ("src/CoordBot/Allies/AllyStore.cs", "UPDATE allies SET last_contact"):
        "the touchpoint INSERT before it refuses another workspace's ally (composite foreign key), so it never runs for one",
    ("src/CoordBot/Allies/AllyStore.cs", "SELECT last_contact FROM allies"):
        "runs only after that INSERT succeeded, so the ally is the workspace's",
    ("src/CoordBot/Allies/AllyStore.cs", "UPDATE ally_links SET relation"):
        "runs only after the INSERT found the pair in this workspace (another workspace's ally fails its foreign key); link ids are unique",
    ("src/CoordBot/Elections/ElectionStore.cs", "takes_office = COALESCE(@TakesOffice, takes_office)"):
        "the import's UPDATE: the id comes from the workspace-scoped lookup in the same transaction",
    ("src/CoordBot/CheckIns/Initiative.cs", "FROM initiative_members WHERE workspace_id = @Workspace ORDER BY user_id"):
        "members are looked up by the ids of this workspace's initiatives, which are unique",
    ("src/CoordBot/CheckIns/Initiative.cs", "SELECT user_id FROM initiative_members WHERE workspace_id = @Workspace AND initiative_id = @Id"):
        "runs only when the workspace-scoped read of the initiative found it",
    ("src/CoordBot/CheckIns/CheckInStore.cs", "SELECT COUNT(*) FROM checkins"):
        "for another workspace's initiative the upsert after it fails its foreign key, and nothing is saved or answered",
    ("src/CoordBot/CheckIns/CheckInStore.cs", "DELETE FROM checkin_phases"):
        "the phase id comes from the workspace-scoped list of phases just read",
    ("src/CoordBot/CheckIns/CheckInStore.cs", "SELECT week, member FROM checkins"):
        "for another workspace's initiative the upsert in the same transaction fails its foreign key and the import rolls back",
}
FILTER = re.compile(r"\b((?:\w+\.)?workspace_id) = (@\w+)")
# Registered right after a SQLite connection opens, in the copy only.
OPEN = "        await connection.OpenAsync(ct);\n"
PLANT_FUNCTION = OPEN + (
    '        connection.CreateFunction("coordbot_plant", (long id) => '
    'id.ToString(System.Globalization.CultureInfo.InvariantCulture) == Environment.GetEnvironmentVariable("COORDBOT_PLANT") ? 1L : 0L);\n'
)


def copy_tree(destination):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = os.path.join(ROOT, name)
        if not os.path.isfile(source):
            continue
        target = os.path.join(destination, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)


def equivalent(name, lines, number):
    """The reason a filter is equivalent, looked up in its line and the two before it (a statement can span lines)."""
    context = "\n".join(lines[max(0, number - 2):number + 1])
    return next((reason for (file, sql), reason in EQUIVALENT.items() if file == name and sql in context), None)


def plant(copy):
    plants = []
    for name in STORES:
        path = os.path.join(copy, name)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for number, line in enumerate(lines):
            def wrap(match):
                plants.append((len(plants) + 1, name, number + 1, line.strip(), equivalent(name, lines, number)))
                return f"({match.group(1)} = {match.group(2)} OR coordbot_plant({len(plants)}) = 1)"
            lines[number] = FILTER.sub(wrap, line)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    database = os.path.join(copy, "src/CoordBot/Data/Database.cs")
    with open(database, encoding="utf-8") as f:
        text = f.read()
    if text.count(OPEN) != 1:
        sys.exit("Database.OpenAsync changed: update PLANT_FUNCTION in plant-filters.py")
    with open(database, "w", encoding="utf-8") as f:
        f.write(text.replace(OPEN, PLANT_FUNCTION))
    return plants


def run_tests(copy, plant_id):
    exe = os.path.join(copy, "tests/CoordBot.Tests/bin/Debug/net10.0/CoordBot.Tests")
    args = [exe, "-stopOnFail", "-noLogo", "-noColor"]
    for test_class in TEST_CLASSES:
        args += ["-class", test_class]
    env = dict(os.environ, COORDBOT_PLANT=str(plant_id))
    env.pop("COORDBOT_TEST_POSTGRES", None)
    started = time.monotonic()
    result = subprocess.run(args, cwd=copy, env=env, capture_output=True, text=True)
    failed = re.findall(r"\[FAIL\] (\S+)", result.stdout)
    return result.returncode, failed[0] if failed else "", time.monotonic() - started


def main():
    output = os.path.abspath(sys.argv[1])
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    os.makedirs(output, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coordbot-plants-") as copy:
        copy_tree(copy)
        plants = plant(copy)
        print(f"{len(plants)} workspace filters planted in {len(STORES)} store files; building the tests once", flush=True)
        subprocess.run(["dotnet", "build", "tests/CoordBot.Tests", "-c", "Debug", "-v", "q", "-nologo"], cwd=copy, check=True,
                       stdout=subprocess.DEVNULL)
        code, test, seconds = run_tests(copy, 0)
        if code != 0:
            sys.exit(f"The workspace tests fail with no plant ({test}): fix them first.")
        print(f"no plant: the workspace tests pass ({seconds:.0f} s)", flush=True)
        # Equivalent filters are not run (as Stryker does not run its ignored mutants); the rest two at a time.
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            outcomes = list(pool.map(lambda p: (0, "", 0.0) if p[4] else run_tests(copy, p[0]), plants))
    counts = {}
    with open(os.path.join(output, "report.tsv"), "w", encoding="utf-8") as report:
        report.write("plant\tfile\tline\tstatus\tcaught by or reason\tsql\n")
        for (plant_id, name, line, sql, reason), (code, test, _) in zip(plants, outcomes):
            status = "Killed" if code != 0 else "Equivalent" if reason else "Survived"
            file_counts = counts.setdefault(name, {"Killed": 0, "Survived": 0, "Equivalent": 0})
            file_counts[status] += 1
            report.write(f"{plant_id}\t{name}\t{line}\t{status}\t{test or reason or ''}\t{sql}\n")
            print(f"  {status:10} {name}:{line}  {test or reason or '-'}", flush=True)
    print("Workspace filters (killed / survived / equivalent; score = killed over killed + survived):")
    for name, c in counts.items():
        tested = c["Killed"] + c["Survived"]
        score = f"{round(1000 * c['Killed'] / tested) / 10} %" if tested else "-"
        print(f"  {name}  killed {c['Killed']} / survived {c['Survived']} / equivalent {c['Equivalent']}  = {score}")


if __name__ == "__main__":
    main()
