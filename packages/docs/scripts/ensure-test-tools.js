// The docs tests need Chromium and a CJK font (the site in a browser) and curl (the curl samples, run as shown).
// On a fresh Debian machine (CI runs as root) this installs Debian's chromium, fonts-wqy-microhei and curl;
// elsewhere it says what to install. QZZ_CHROMIUM overrides the browser's path.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const browser = process.env.QZZ_CHROMIUM ?? '/usr/bin/chromium';
const font = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const hasCurl = ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].some((path) => existsSync(path));
const missing = [
  !existsSync(browser) && 'chromium',
  !process.env.QZZ_CHROMIUM && !existsSync(font) && 'fonts-wqy-microhei',
  !hasCurl && 'curl',
].filter((name) => typeof name === 'string');

if (missing.length) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(
      `The docs tests need ${missing.join(' and ')}: install Debian's packages (apt-get install ${missing.join(' ')}), or set QZZ_CHROMIUM to a Chromium binary.`,
    );
    process.exit(1);
  }
  console.log(`Installing ${missing.join(', ')} for the docs tests…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
}
