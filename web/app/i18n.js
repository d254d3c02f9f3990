// Korean and English. The language is the one the user picked (kept in
// localStorage), else Korean when the browser prefers it, else English.
//
// Elements whose text or attributes come from here are registered with
// setText()/h() and re-translated in place when the language changes, so a
// switch never reloads the page, the player or the chat.

const STORE_KEY = 'onair.lang';
export const LANGS = ['ko', 'en'];

const dict = {
  ko: {
    'app.skip': '본문으로 건너뛰기',
    'nav.home': '홈',
    'nav.dashboard': '대시보드',
    'nav.rooms': '채팅방',
    'nav.search': '검색',
    'user.wallet': '지갑',
    'nav.main': '주 메뉴',
    'lang.label': '언어',
    'lang.switchTo': 'English로 전환',
    'auth.login': '로그인',
    'auth.signup': '회원가입',
    'auth.logout': '로그아웃',
    'user.menu': '{name} 메뉴',
    'user.balance': '보유 포인트',
    'user.myChannel': '내 채널',
    'points': '{n}P',
    'title.home': '홈',
    'title.login': '로그인',
    'title.signup': '회원가입',
    'title.dashboard': '대시보드',
    'title.notFound': '페이지를 찾을 수 없습니다',
    'home.live': '지금 라이브',
    'home.offline': '오프라인 채널',
    'home.noLive': '지금 방송 중인 채널이 없습니다.',
    'home.noChannels': '아직 채널이 없습니다.',
    'home.loadFailed': '채널 목록을 불러오지 못했습니다. 잠시 후 다시 시도합니다.',
    'live': 'LIVE',
    'offline': '오프라인',
    'viewers': '시청자 {n}명',
    'viewers.short': '{n}명',
    'uptime': '방송 시간 {t}',
    'form.username': '아이디',
    'form.password': '비밀번호',
    'form.usernameHint': '영문 소문자, 숫자, 밑줄(_) 3~24자',
    'form.passwordHint': '8자 이상',
    'form.loginSubmit': '로그인',
    'form.signupSubmit': '가입하기',
    'form.toSignup': '계정이 없으신가요?',
    'form.toLogin': '이미 계정이 있으신가요?',
    'err.usernamePattern': '아이디는 영문 소문자, 숫자, 밑줄(_)로 3~24자여야 합니다.',
    'err.usernameRequired': '아이디를 입력하세요.',
    'err.passwordRequired': '비밀번호를 입력하세요.',
    'err.passwordLength': '비밀번호는 8자 이상 128바이트 이하여야 합니다.',
    'err.usernameTaken': '이미 사용 중인 아이디입니다.',
    'err.invalidCredentials': '아이디 또는 비밀번호가 올바르지 않습니다.',
    'err.rateLimited': '시도가 너무 많습니다. {s}초 후에 다시 시도하세요.',
    'err.network': '서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요.',
    'err.generic': '문제가 발생했습니다: {msg}',
    'notFound.text': '주소가 잘못되었거나 아직 없는 페이지입니다.',
    'notFound.home': '홈으로 가기',
    'watch.offlineTitle': '{name} 님은 지금 오프라인입니다',
    'watch.offlineText': '방송이 시작되면 여기에서 바로 재생됩니다. 채팅은 계속 열려 있습니다.',
    'watch.notFound': '채널을 찾을 수 없습니다.',
    'watch.latency': '지연 {s}초',
    'watch.latencyLabel': '라이브와의 지연',
    'watch.quality': '화질',
    'watch.auto': '자동',
    'watch.autoCurrent': '자동 ({q})',
    'watch.player': '{name} 방송 플레이어',
    'watch.connecting': '방송에 연결하는 중…',
    'watch.playerError': '플레이어 오류: 다시 연결하는 중…',
    'watch.unsupported': '이 브라우저는 HLS 재생을 지원하지 않습니다.',
    'watch.unmute': '소리 켜기',
    'chat.title': '채팅',
    'chat.log': '채팅 메시지',
    'chat.input': '채팅 메시지 입력',
    'chat.placeholder': '메시지를 입력하세요',
    'chat.send': '보내기',
    'chat.newMessages': '새 메시지 ↓',
    'chat.loginInvite': '채팅에 참여하려면 로그인하세요.',
    'chat.deleted': '(삭제된 메시지)',
    'chat.cleared': '채팅이 모두 지워졌습니다.',
    'chat.connecting': '채팅에 연결하는 중…',
    'chat.reconnecting': '연결이 끊겼습니다. 다시 연결하는 중…',
    'chat.resetNotice': '오래 연결이 끊겨 일부 메시지는 건너뛰었습니다.',
    'chat.donation': '{name} 님이 {amount} 후원!',
    'chat.empty': '아직 메시지가 없습니다. 첫 메시지를 남겨 보세요!',
    'chat.historyFailed': '이전 메시지를 불러오지 못했습니다.',
    'chat.err.rate_limited': '메시지를 너무 빨리 보내고 있습니다. {s}초 후에 다시 보낼 수 있습니다.',
    'chat.err.banned': '이 채팅방에서 차단되어 메시지를 보낼 수 없습니다.',
    'chat.err.timeout': '채팅이 일시 제한되었습니다. {s}초 후에 다시 보낼 수 있습니다.',
    'chat.err.too_long': '메시지가 너무 깁니다. 500자 이내로 입력하세요.',
    'chat.err.unauthorized': '로그인이 만료되었습니다. 다시 로그인하세요.',
    'chat.err.forbidden': '이 명령을 사용할 권한이 없습니다.',
    'chat.err.bad_request': '보낼 수 없는 메시지입니다.',
    'chat.err.not_found': '대상을 찾을 수 없습니다.',
    'chat.err.unavailable': '서버가 바쁩니다. 잠시 후 다시 시도하세요.',
    'chat.err.other': '메시지를 보내지 못했습니다: {msg}',
    'chat.sys.timeout': '{user} 님의 채팅이 {s}초 동안 제한되었습니다.',
    'chat.sys.ban': '{user} 님이 차단되었습니다.',
    'chat.sys.unban': '{user} 님의 차단이 해제되었습니다.',
    'chat.sys.slowOn': '슬로우 모드: {s}초에 한 번 보낼 수 있습니다.',
    'chat.sys.slowOff': '슬로우 모드가 꺼졌습니다.',
    'chat.counter': '{n}/500',
    'dash.title': '대시보드',
    'dash.status': '방송 상태',
    'dash.live': '방송 중',
    'dash.offline': '오프라인',
    'dash.viewChannel': '내 채널 보기',
    'dash.key': '스트림 키',
    'dash.keyHelp': '스트림 키는 비밀번호처럼 다루세요. 키를 아는 사람은 누구나 내 채널로 방송할 수 있습니다.',
    'dash.reveal': '보기',
    'dash.hide': '숨기기',
    'dash.copy': '복사',
    'dash.copyKey': '스트림 키 복사',
    'dash.copyServer': '서버 주소 복사',
    'dash.copied': '복사했습니다',
    'dash.copyFailed': '복사하지 못했습니다. 직접 선택해 복사하세요.',
    'dash.rotate': '키 재발급',
    'dash.rotateConfirm': '지금 키를 재발급하면 이전 키로 하는 방송은 즉시 끊깁니다. 계속할까요?',
    'dash.rotateYes': '재발급',
    'dash.cancel': '취소',
    'dash.rotated': '새 스트림 키를 발급했습니다. OBS에 새 키를 넣으세요.',
    'dash.obs': 'OBS 설정',
    'dash.obs1': 'OBS에서 설정 → 방송을 엽니다.',
    'dash.obs2': '서비스는 “사용자 지정…”을 고릅니다.',
    'dash.obs3': '서버에 아래 주소를 넣습니다.',
    'dash.obs4': '스트림 키에 위의 스트림 키를 붙여 넣습니다.',
    'dash.obs5': '설정 → 출력에서 x264(또는 H.264 인코더), 키프레임 간격 1~2초, 오디오 AAC로 맞춥니다.',
    'dash.obs6': '“방송 시작”을 누르면 몇 초 안에 라이브가 됩니다.',
    'dash.server': '서버',
    'dash.streamTitle': '방송 제목',
    'dash.titleHint': '1~140자',
    'dash.save': '저장',
    'dash.saved': '저장했습니다.',
    'dash.titleRequired': '제목을 입력하세요.',
    'dash.titleTooLong': '제목은 140자 이하여야 합니다.',
    'dash.titleInvalid': '사용할 수 없는 제목입니다: {msg}',
  },
  en: {
    'app.skip': 'Skip to content',
    'nav.home': 'Home',
    'nav.dashboard': 'Dashboard',
    'nav.rooms': 'Rooms',
    'nav.search': 'Search',
    'user.wallet': 'Wallet',
    'nav.main': 'Main',
    'lang.label': 'Language',
    'lang.switchTo': 'Switch to Korean',
    'auth.login': 'Log in',
    'auth.signup': 'Sign up',
    'auth.logout': 'Log out',
    'user.menu': 'Menu for {name}',
    'user.balance': 'Points balance',
    'user.myChannel': 'My channel',
    'points': '{n} P',
    'title.home': 'Home',
    'title.login': 'Log in',
    'title.signup': 'Sign up',
    'title.dashboard': 'Dashboard',
    'title.notFound': 'Page not found',
    'home.live': 'Live now',
    'home.offline': 'Offline channels',
    'home.noLive': 'Nobody is live right now.',
    'home.noChannels': 'No channels yet.',
    'home.loadFailed': 'Could not load the channels. Retrying shortly.',
    'live': 'LIVE',
    'offline': 'Offline',
    'viewers': (a) => (a.n === '1' ? '1 viewer' : `${a.n} viewers`),
    'viewers.short': '{n}',
    'uptime': 'Live for {t}',
    'form.username': 'Username',
    'form.password': 'Password',
    'form.usernameHint': '3 to 24 lower-case letters, digits or _',
    'form.passwordHint': 'At least 8 characters',
    'form.loginSubmit': 'Log in',
    'form.signupSubmit': 'Create account',
    'form.toSignup': 'No account yet?',
    'form.toLogin': 'Already have an account?',
    'err.usernamePattern': 'Use 3 to 24 lower-case letters, digits or underscores.',
    'err.usernameRequired': 'Enter a username.',
    'err.passwordRequired': 'Enter a password.',
    'err.passwordLength': 'Passwords are 8 to 128 bytes long.',
    'err.usernameTaken': 'That username is taken.',
    'err.invalidCredentials': 'Wrong username or password.',
    'err.rateLimited': 'Too many attempts. Try again in {s} s.',
    'err.network': 'Cannot reach the server. Try again shortly.',
    'err.generic': 'Something went wrong: {msg}',
    'notFound.text': 'This address is wrong, or the page does not exist yet.',
    'notFound.home': 'Go home',
    'watch.offlineTitle': '{name} is offline',
    'watch.offlineText': 'The stream starts playing here as soon as it goes live. The chat stays open.',
    'watch.notFound': 'No such channel.',
    'watch.latency': '{s} s behind live',
    'watch.latencyLabel': 'Delay behind live',
    'watch.quality': 'Quality',
    'watch.auto': 'Auto',
    'watch.autoCurrent': 'Auto ({q})',
    'watch.player': '{name} live player',
    'watch.connecting': 'Connecting to the stream…',
    'watch.playerError': 'Player error: reconnecting…',
    'watch.unsupported': 'This browser cannot play HLS.',
    'watch.unmute': 'Unmute',
    'chat.title': 'Chat',
    'chat.log': 'Chat messages',
    'chat.input': 'Chat message',
    'chat.placeholder': 'Send a message',
    'chat.send': 'Send',
    'chat.newMessages': 'New messages ↓',
    'chat.loginInvite': 'Log in to chat.',
    'chat.deleted': '(message removed)',
    'chat.cleared': 'The chat was cleared.',
    'chat.connecting': 'Connecting to chat…',
    'chat.reconnecting': 'Disconnected. Reconnecting…',
    'chat.resetNotice': 'You were away long enough that some messages were skipped.',
    'chat.donation': '{name} donated {amount}!',
    'chat.empty': 'No messages yet. Say hello!',
    'chat.historyFailed': 'Could not load earlier messages.',
    'chat.err.rate_limited': 'You are sending too fast. You can send again in {s} s.',
    'chat.err.banned': 'You are banned from this chat.',
    'chat.err.timeout': 'You are timed out. You can send again in {s} s.',
    'chat.err.too_long': 'That message is too long (500 characters at most).',
    'chat.err.unauthorized': 'Your login expired. Please log in again.',
    'chat.err.forbidden': 'You are not allowed to do that.',
    'chat.err.bad_request': 'That message cannot be sent.',
    'chat.err.not_found': 'Not found.',
    'chat.err.unavailable': 'The server is busy. Try again shortly.',
    'chat.err.other': 'Could not send: {msg}',
    'chat.sys.timeout': '{user} was timed out for {s} s.',
    'chat.sys.ban': '{user} was banned.',
    'chat.sys.unban': '{user} was unbanned.',
    'chat.sys.slowOn': 'Slow mode: one message every {s} s.',
    'chat.sys.slowOff': 'Slow mode is off.',
    'chat.counter': '{n}/500',
    'dash.title': 'Dashboard',
    'dash.status': 'Stream status',
    'dash.live': 'Live',
    'dash.offline': 'Offline',
    'dash.viewChannel': 'View my channel',
    'dash.key': 'Stream key',
    'dash.keyHelp': 'Treat the stream key like a password: anyone who has it can stream to your channel.',
    'dash.reveal': 'Show',
    'dash.hide': 'Hide',
    'dash.copy': 'Copy',
    'dash.copyKey': 'Copy stream key',
    'dash.copyServer': 'Copy server URL',
    'dash.copied': 'Copied',
    'dash.copyFailed': 'Could not copy. Select it and copy by hand.',
    'dash.rotate': 'Rotate key',
    'dash.rotateConfirm': 'A new key ends any stream using the old one at once. Continue?',
    'dash.rotateYes': 'Rotate',
    'dash.cancel': 'Cancel',
    'dash.rotated': 'A new stream key was issued. Put it in OBS.',
    'dash.obs': 'OBS setup',
    'dash.obs1': 'In OBS, open Settings → Stream.',
    'dash.obs2': 'Pick the service “Custom…”.',
    'dash.obs3': 'Enter this as the Server:',
    'dash.obs4': 'Paste your stream key (above) as the Stream Key.',
    'dash.obs5': 'In Settings → Output use x264 (or any H.264 encoder), a keyframe interval of 1–2 s, and AAC audio.',
    'dash.obs6': 'Press “Start Streaming”: you are live within seconds.',
    'dash.server': 'Server',
    'dash.streamTitle': 'Stream title',
    'dash.titleHint': '1 to 140 characters',
    'dash.save': 'Save',
    'dash.saved': 'Saved.',
    'dash.titleRequired': 'Enter a title.',
    'dash.titleTooLong': 'Titles are at most 140 characters.',
    'dash.titleInvalid': 'That title cannot be used: {msg}',
  },
};

function initialLang() {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch {
    /* storage may be off */
  }
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language || ''];
  return String(prefs[0] || '').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

let lang = initialLang();
const listeners = new Set();
// el -> {text: ref|undefined, attrs: {name: ref}}; elements carry data-i18n so
// they can be found again.
const registry = new WeakMap();

/**
 * Adds a page module's own strings ({ko: {...}, en: {...}}), so pages keep
 * their texts next to their code. Keys must not collide with others'.
 */
export function addStrings(strings) {
  for (const l of LANGS) Object.assign(dict[l], strings[l] || {});
}

export function getLang() {
  return lang;
}

/** A reference to a translatable string; h() and setText() accept it. */
export function T(key, args) {
  return { i18nKey: key, args };
}
export const isRef = (v) => v !== null && typeof v === 'object' && typeof v.i18nKey === 'string';

export function t(key, args = {}) {
  const s = dict[lang][key] ?? dict.en[key] ?? key;
  if (typeof s === 'function') return s(args); // plurals
  return s.replace(/\{(\w+)\}/g, (_, k) => (args[k] === undefined ? '' : String(args[k])));
}

function entry(el) {
  let e = registry.get(el);
  if (!e) {
    e = { attrs: {} };
    registry.set(el, e);
    el.setAttribute('data-i18n', '');
  }
  return e;
}

/** Sets el's text to a translated string (kept up to date) or plain text. */
export function setText(el, value, args) {
  if (typeof value === 'string' && args !== undefined) value = T(value, args);
  if (isRef(value)) {
    entry(el).text = value;
    el.textContent = t(value.i18nKey, value.args);
  } else {
    const e = registry.get(el);
    if (e) e.text = undefined;
    el.textContent = value == null ? '' : String(value);
  }
}

/** Sets an attribute to a translated string (kept up to date). */
export function setAttr(el, name, ref) {
  entry(el).attrs[name] = ref;
  el.setAttribute(name, t(ref.i18nKey, ref.args));
}

function apply(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const e = registry.get(el);
    if (!e) continue;
    if (e.text) el.textContent = t(e.text.i18nKey, e.text.args);
    for (const [name, ref] of Object.entries(e.attrs)) el.setAttribute(name, t(ref.i18nKey, ref.args));
  }
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORE_KEY, next);
  } catch {
    /* not persisted, still switched */
  }
  document.documentElement.lang = lang;
  apply(document);
  for (const fn of [...listeners]) fn(lang);
}

/** Calls fn(lang) after each switch; returns the unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function formatNumber(n) {
  return new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US').format(n);
}

/** A date and time (unix ms, ISO text or a Date) in the language given or the page's; '' if invalid. */
export function formatDateTime(when, as = lang) {
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(as === 'ko' ? 'ko-KR' : 'en-US', { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** "1:02:03" / "12:34" for a duration in ms. */
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

document.documentElement.lang = lang;
