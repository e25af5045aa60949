import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync,
  utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

// What sets a fresh machine up (scripts/lib/setup.sh, scripts/debian-packages.txt) and what keeps the stack's
// programs running (scripts/lib/supervise.sh). The Debian packages are one list: no script may name one itself,
// so the three copies issue 11 found (.ci/run, test-odoo.sh, stack.sh) cannot come back. The functions run here
// against stand-ins (a PATH with a fake dpkg-query, apt-get and npm; a small git repository shaped like Odoo;
// sleep as the supervised program), never against the machine's real packages or the network.

const root = new URL('../../', import.meta.url).pathname;
const LIST = 'scripts/debian-packages.txt';
const isRoot = process.getuid?.() === 0;

interface Run { code: number; stdout: string; stderr: string }

/** Runs a bash script to its end, never rejecting: the exit code is part of what the tests check. */
function bash(script: string, env: NodeJS.ProcessEnv = {}, opts: { cwd?: string; asNobody?: boolean } = {}): Promise<Run> {
  const argv = ['bash', '-c', script];
  const [cmd, ...args] = opts.asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  return new Promise((resolve) => {
    execFile(cmd!, args, { cwd: opts.cwd ?? root, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** The package list as [group, package] pairs. */
function listEntries(): [string, string][] {
  return readFileSync(join(root, LIST), 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => l.split(/\s+/) as [string, string]);
}

/** Every shell script of the repository (by extension or shebang), node_modules and .state left out. */
function shellScripts(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (['node_modules', '.git', '.state', 'dist'].includes(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.sh') || /^#!.*\bbash\b/.test(readFileSync(path, 'utf8').slice(0, 40))) found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
}

describe('scripts/debian-packages.txt, the one list of Debian packages', () => {
  it('lists each package once, in one of the groups the scripts ask for', () => {
    const entries = listEntries();
    const names = entries.map(([, p]) => p);
    assert.equal(new Set(names).size, names.length, 'a package is listed twice');
    for (const [group, name] of entries) {
      assert.ok(['base', 'odoo', 'tours', 'fetch'].includes(group), `unknown group ${group}`);
      assert.match(name, /^[a-z0-9][a-z0-9+.-]+$/, `not a Debian package name: ${name}`);
    }
  });

  it('is the only place a shell script names a Debian package or calls apt-get or dpkg', () => {
    const scripts = shellScripts();
    assert.ok(scripts.includes('.ci/run') && scripts.includes('scripts/stack.sh') && scripts.includes('scripts/test-odoo.sh'));
    const packages = listEntries().map(([, p]) => p).filter((p) => !['curl', 'flake8', 'git', 'nginx'].includes(p));
    for (const script of scripts.filter((s) => s !== 'scripts/lib/setup.sh')) {
      const text = readFileSync(join(root, script), 'utf8');
      const code = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n'); // comments may speak of apt-get
      assert.doesNotMatch(text, /\bpython3-[a-z0-9]/, `${script} names a python3-* package`);
      assert.doesNotMatch(code, /\b(apt-get|apt|dpkg-query|dpkg)\s/, `${script} installs or checks packages itself`);
      for (const p of packages) {
        assert.ok(!new RegExp(`(^|[\\s(])${p.replace(/[.+]/g, '\\$&')}([\\s)]|$)`, 'm').test(code), `${script} names the package ${p}`);
      }
    }
  });

  it('is what stack.sh, test.sh, test-odoo.sh and screenshots.sh install from, by groups it has', () => {
    const groups = new Set(listEntries().map(([g]) => g));
    for (const script of ['scripts/stack.sh', 'scripts/test.sh', 'scripts/test-odoo.sh', 'scripts/screenshots.sh']) {
      const text = readFileSync(join(root, script), 'utf8');
      assert.match(text, /^source "?\$?[^\n]*scripts\/lib\/setup\.sh"?$/m, `${script} does not source scripts/lib/setup.sh`);
      const calls = [...text.matchAll(/^\s*ensure_debian_packages ([a-z ]+)/gm)];
      assert.ok(calls.length > 0, `${script} does not call ensure_debian_packages`);
      for (const [, asked] of calls) for (const g of asked!.trim().split(/\s+/)) assert.ok(groups.has(g), `${script}: no group ${g}`);
    }
  });

  it('gives debian_packages the packages of the groups asked for, in list order', async () => {
    const run = await bash('source scripts/lib/setup.sh && debian_packages base tours');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'),
      listEntries().filter(([g]) => g === 'base' || g === 'tours').map(([, p]) => p));
  });
});

/** A copy of the setup library in a folder of its own, with stand-ins for dpkg-query, apt-get and npm on PATH. */
function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'llm-mcp-setup-'));
  chmodSync(dir, 0o755); // the non-root case runs as nobody
  const repo = join(dir, 'repo');
  const bin = join(dir, 'bin');
  mkdirSync(join(repo, 'scripts'), { recursive: true });
  cpSync(join(root, 'scripts/lib'), join(repo, 'scripts/lib'), { recursive: true });
  writeFileSync(join(repo, LIST), 'base curl\nbase nginx\nodoo python3-lxml\nodoo python3-zeep\n');
  mkdirSync(bin);
  // "installed" packages are files in $dir/installed; apt-get install "installs" by creating them.
  mkdirSync(join(dir, 'installed'));
  chmodSync(join(dir, 'installed'), 0o777);
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  stub('dpkg-query', `shift 2; for p in "$@"; do [[ -e ${dir}/installed/$p ]] && echo "ii  $p"; done; exit 0`);
  stub('apt-get', `echo "apt-get $*" >>${dir}/apt.log; [[ $1 == install ]] || exit 0
for a in "$@"; do [[ $a == -* || $a == install ]] || touch ${dir}/installed/$a; done`);
  stub('npm', `echo "npm $*" >>${dir}/npm.log; mkdir -p node_modules; echo {} >node_modules/.package-lock.json`);
  writeFileSync(join(repo, 'package-lock.json'), '{}\n');
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  const lib = (script: string, extra: NodeJS.ProcessEnv = {}, asNobody = false) =>
    bash(`source ${repo}/scripts/lib/setup.sh && ${script}`, { ...env, ...extra }, { cwd: dir, asNobody });
  return { dir, repo, read, lib, installed: (p: string) => writeFileSync(join(dir, 'installed', p), '') };
}

describe('scripts/lib/setup.sh', function () {
  this.timeout(60_000);
  let box: ReturnType<typeof sandbox>;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => rmSync(box.dir, { recursive: true, force: true }));

  it('does nothing when every package of the groups is installed', async () => {
    for (const p of ['curl', 'nginx', 'python3-lxml', 'python3-zeep']) box.installed(p);
    const run = await box.lib('ensure_debian_packages base odoo');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /all 4 present/);
    assert.equal(box.read('apt.log'), '');
  });

  it('installs only the missing packages, as root, with apt-get --no-install-recommends', async function () {
    if (!isRoot) this.skip();
    box.installed('curl');
    box.installed('python3-lxml');
    const run = await box.lib('ensure_debian_packages base odoo');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Installing 2 missing Debian packages .*: nginx python3-zeep/);
    assert.match(box.read('apt.log'), /^apt-get update -q\napt-get install -y -q --no-install-recommends nginx python3-zeep\n$/);
  });

  it('stops when not root, with the exact apt-get line, and installs nothing', async function () {
    // as root, the case is run as nobody
    if (isRoot && (await bash('setpriv --reuid=65534 --regid=65534 --clear-groups true')).code !== 0) this.skip();
    box.installed('curl');
    const run = await box.lib('ensure_debian_packages base odoo; echo "not reached"', {}, isRoot);
    assert.equal(run.code, 1);
    assert.doesNotMatch(run.stdout, /not reached/);
    assert.match(run.stderr, /missing Debian packages \(3\): nginx python3-lxml python3-zeep/);
    assert.match(run.stderr, /sudo apt-get update && sudo apt-get install -y --no-install-recommends nginx python3-lxml python3-zeep/);
    assert.equal(box.read('apt.log'), '');
  });

  it('runs npm ci when node_modules is missing or older than package-lock.json, and not otherwise', async () => {
    const first = await box.lib('ensure_node_modules');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /npm ci \(node_modules missing\)/);
    const again = await box.lib('ensure_node_modules');
    assert.match(again.stdout, /node_modules: up to date/);
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(box.repo, 'package-lock.json'), future, future); // a pull that changed the lock file
    const stale = await box.lib('ensure_node_modules');
    assert.match(stale.stdout, /npm ci \(package-lock.json is newer than node_modules\)/);
    assert.equal(box.read('npm.log'), 'npm ci --no-audit --no-fund --loglevel=error\n'.repeat(2));
  });

  it('uses ODOO_SRC when set, else /opt/odoo when it holds Odoo, else a cache folder per branch', async () => {
    const set = await box.lib('odoo_src_default', { ODOO_SRC: '/somewhere/odoo' });
    assert.equal(set.stdout.trim(), '/somewhere/odoo');
    const unset = await box.lib('unset ODOO_SRC; odoo_src_default', { XDG_CACHE_HOME: '/cache', ODOO_GIT_REF: '18.0' });
    const optOdoo = existsSync('/opt/odoo/odoo-bin') && existsSync('/opt/odoo/odoo/addons/base');
    assert.equal(unset.stdout.trim(), optOdoo ? '/opt/odoo' : '/cache/llm_mcp_server/odoo-18.0');
    const cache = await box.lib('odoo_cache_dir', { XDG_CACHE_HOME: '/cache', ODOO_GIT_REF: 'saas/18.1' });
    assert.equal(cache.stdout.trim(), '/cache/llm_mcp_server/odoo-saas_18.1');
  });

  describe('fetching Odoo when there is no tree', () => {
    let mirror: string;
    beforeEach(async () => {
      box.installed('git');
      box.installed('ca-certificates');
      writeFileSync(join(box.repo, LIST), 'fetch git\nfetch ca-certificates\n');
      // A repository shaped like Odoo's, with two commits on branch 18.0: a shallow clone has one.
      mirror = join(box.dir, 'odoo-mirror');
      const made = await bash(`set -e; git init -q -b 18.0 "${mirror}"; cd "${mirror}"
        mkdir -p odoo/addons/base; echo 1 >odoo/addons/base/__init__.py; echo '#!/usr/bin/env python3' >odoo-bin
        git add -A; git -c user.name=t -c user.email=t@t commit -qm one
        echo 2 >odoo/addons/base/__init__.py; git -c user.name=t -c user.email=t@t commit -qam two`);
      assert.equal(made.code, 0, made.stderr);
    });

    it('clones branch 18.0 shallowly into an empty ODOO_SRC, from a local path as from a URL', async () => {
      const dest = join(box.dir, 'odoo');
      mkdirSync(dest);
      const run = await box.lib(`ensure_odoo_src "${dest}"`, { ODOO_GIT_URL: mirror });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`cloning Odoo 18.0 from file://${mirror}`));
      assert.ok(existsSync(join(dest, 'odoo-bin')) && existsSync(join(dest, 'odoo/addons/base/__init__.py')));
      const commits = await bash(`git -C "${dest}" rev-list --count HEAD`);
      assert.equal(commits.stdout.trim(), '1', 'not a shallow clone');
      assert.deepEqual(readdirSync(box.dir).filter((n) => n.includes('clone-in-progress')), []);
      const again = await box.lib(`ensure_odoo_src "${dest}"`, { ODOO_GIT_URL: '/nonexistent' });
      assert.match(again.stdout, /Odoo source: /, 'an existing tree is used as it is');
    });

    it('leaves a folder alone that holds something other than Odoo', async () => {
      const dest = join(box.dir, 'mine');
      mkdirSync(dest);
      writeFileSync(join(dest, 'notes.txt'), 'mine');
      const run = await box.lib(`ensure_odoo_src "${dest}"`, { ODOO_GIT_URL: mirror });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /holds no Odoo 18 tree .* and is not empty, so it is left alone/);
      assert.deepEqual(readdirSync(dest), ['notes.txt']);
    });

    it('says which repository it cannot reach and what to set instead', async () => {
      const run = await box.lib(`ensure_odoo_src "${join(box.dir, 'odoo')}"`, { ODOO_GIT_URL: 'file:///nonexistent/odoo.git' });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /cannot reach file:\/\/\/nonexistent\/odoo.git to fetch Odoo's source: fatal: .+/);
      assert.match(run.stderr, /Set ODOO_GIT_URL to a mirror [\s\S]* or ODOO_SRC to an Odoo 18 tree/);
      assert.ok(!existsSync(join(box.dir, 'odoo')));
    });

    it('says when the repository has no such branch', async () => {
      const run = await box.lib(`ensure_odoo_src "${join(box.dir, 'odoo')}"`, { ODOO_GIT_URL: mirror, ODOO_GIT_REF: '17.0' });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /has no branch or tag '17.0'/);
    });
  });
});

describe('scripts/lib/supervise.sh', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'llm-mcp-supervise-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts a supervisor in a process group of its own (as stack.sh does with setsid), output to a log. */
  function supervise(command: string, env: NodeJS.ProcessEnv = {}) {
    const log = join(dir, 'log');
    const child = spawn('bash', ['-c', `exec bash "${root}scripts/lib/supervise.sh" demo -- bash -c '${command}' >>"${log}" 2>&1`],
      { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { pid: child.pid!, log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''), exited };
  }
  const until = async (what: string, check: () => boolean, ms = 10_000) => {
    for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    }
  };
  /** Pid of the program's process (its marker file), written by the program itself. */
  const programPid = () => (existsSync(join(dir, 'pid')) ? Number(readFileSync(join(dir, 'pid'), 'utf8')) : 0);

  it('restarts a program that is killed, and says so in the log', async () => {
    const sv = supervise(`echo $$ >${dir}/pid; exec sleep 600`, { SUPERVISE_STARTUP_S: '0' });
    try {
      await until('the first start', () => programPid() > 0);
      const first = programPid();
      process.kill(first, 'SIGKILL');
      await until('the restart', () => /restarted/.test(sv.log()) && programPid() > 0 && programPid() !== first, 5000);
      assert.match(sv.log(), /demo: exited \(SIGKILL, status 137\) after \d+s; restarting in 1s/);
      assert.match(sv.log(), /demo: restarted \(pid \d+, restart 1\)/);
    } finally {
      process.kill(-sv.pid, 'SIGTERM');
    }
    assert.equal(await sv.exited, 0);
    assert.match(sv.log(), /demo: stopped \(SIGTERM, status 143\)$/m);
  });

  it('stops the program and itself on SIGTERM to its group, without a restart', async () => {
    const sv = supervise(`echo $$ >${dir}/pid; exec sleep 600`);
    await until('the start', () => programPid() > 0);
    process.kill(-sv.pid, 'SIGTERM');
    assert.equal(await sv.exited, 0);
    assert.throws(() => process.kill(programPid(), 0), 'the program survived');
    assert.doesNotMatch(sv.log(), /restart/);
  });

  it('does not restart a program that fails at start-up, and exits with its status', async () => {
    const sv = supervise('echo "bad setting" >&2; exit 3');
    assert.equal(await sv.exited, 3);
    assert.match(sv.log(), /bad setting\n[\s\S]*demo: exited \(status 3\) \d+s after starting: a start-up failure, not restarting/);
  });
});
