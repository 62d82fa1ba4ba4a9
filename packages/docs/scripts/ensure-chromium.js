// The browser tests need Chromium and a CJK font. On a fresh Debian machine (CI runs as root) this installs
// Debian's chromium and fonts-wqy-microhei; elsewhere it says what to install. QZZ_CHROMIUM overrides the path.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const browser = process.env.QZZ_CHROMIUM ?? '/usr/bin/chromium';
const font = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const missing = [!existsSync(browser) && 'chromium', !process.env.QZZ_CHROMIUM && !existsSync(font) && 'fonts-wqy-microhei'].filter(Boolean);

if (missing.length) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(`The docs tests need ${missing.join(' and ')}: install Debian's packages (apt-get install ${missing.join(' ')}), or set QZZ_CHROMIUM to a Chromium binary.`);
    process.exit(1);
  }
  console.log(`Installing ${missing.join(', ')} for the browser tests…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
}
