"""The web console (issue 26) as a person uses it: headless Chromium through its WebDriver against a running
`consortiumrx serve` that Tests/Browser/run.sh started on a fresh database with the demo data and five accounts.

Environment: CRX_BASE_URL (the server), DATABASE_URL (checked with psql), CRX_SCREENSHOTS (a PNG of every page
visited, <test>-<n>.png). The browser and driver are Debian's, /usr/bin/chromium and /usr/bin/chromedriver; Selenium
Manager stays offline. Run with run.sh; arguments are unittest's (e.g. `ConsoleTest.test_language_switch`).
"""

import os
import subprocess
import unittest
import urllib.error
import urllib.parse
import urllib.request

os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

BASE_URL = os.environ.get("CRX_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SCREENSHOTS = os.environ.get("CRX_SCREENSHOTS", ".build/console-screenshots")
PASSWORD = "长处方-Console-2026"
WAIT = 10


def sql(query):
    """One value or rows of a query on the test's database, through psql (rows split by newline, columns by '|')."""
    done = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", DATABASE_URL, "-Atc", query],
        capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"psql failed on {query!r}: {done.stderr.strip()}")
    return done.stdout.strip()


def sessions_of(user_name):
    return int(sql(
        "SELECT count(*) FROM console_sessions s JOIN console_users u ON u.id = s.user_id "
        f"WHERE u.user_name = '{user_name}'"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class ConsoleTest(unittest.TestCase):
    driver = None

    @classmethod
    def setUpClass(cls):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--lang=zh-CN", "--window-size=1366,768"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
        cls.driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        cls.driver.set_page_load_timeout(30)
        os.makedirs(SCREENSHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        if cls.driver is not None:
            cls.driver.quit()

    def setUp(self):
        self.shots = 0
        driver = self.driver
        # A fresh cookie jar: every cookie of every path (the session's is Path=/console), then the current page's.
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        try:
            driver.delete_all_cookies()
        except WebDriverException:
            pass  # about:blank before the first page has no cookies to delete
        driver.set_window_size(1366, 768)

    # --- helpers -------------------------------------------------------------------------------------------------

    def shot(self, suffix=""):
        """A screenshot of the page now shown: <test>-<n>.png."""
        self.shots += 1
        name = f"{self._testMethodName}-{self.shots}{suffix}.png"
        try:
            self.driver.save_screenshot(os.path.join(SCREENSHOTS, name))
        except WebDriverException:
            pass

    def path(self):
        return urllib.parse.urlsplit(self.driver.current_url).path

    def status(self):
        """The HTTP status of the page shown (the last response of its navigation)."""
        return self.driver.execute_script(
            "const e = performance.getEntriesByType('navigation')[0]; return e ? e.responseStatus : null;")

    def where(self):
        """The page as a failure message tells it: its address, status and the start of its text."""
        try:
            text = self.driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            text = ""
        text = " ".join(text.split())[:300]
        return f"{self.driver.current_url} (HTTP {self.status()}): {text!r}"

    def wait_until(self, condition, what):
        try:
            return WebDriverWait(self.driver, WAIT).until(condition)
        except TimeoutException:
            self.shot("-timeout")
            raise AssertionError(f"{what} — not within {WAIT} s on {self.where()}") from None

    def wait_for(self, css, what=None):
        """The element the CSS selector finds, once it is there."""
        return self.wait_until(EC.presence_of_element_located((By.CSS_SELECTOR, css)), what or f"{css} missing")

    def loaded(self):
        self.wait_until(lambda d: d.execute_script("return document.readyState") == "complete", "page not loaded")
        self.shot()

    def visit(self, path):
        self.driver.get(BASE_URL + path)
        self.loaded()

    def after(self, action):
        """Runs an action that leaves the page (a click, a submit, Enter), waits for the next page and shoots it."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        action()
        self.wait_until(EC.staleness_of(old), "the page did not change")
        self.loaded()

    def has(self, css):
        return len(self.driver.find_elements(By.CSS_SELECTOR, css)) > 0

    def text_of(self, css):
        return self.wait_for(css).text

    def submit_login(self, user_name, password):
        self.visit("/console/login")
        form = self.wait_for("form#login-form", "the login form #login-form missing on /console/login")
        self.assertEqual(form.get_attribute("method").lower(), "post")
        user = self.wait_for("#user_name")
        user.clear()
        user.send_keys(user_name)
        field = self.wait_for("#password")
        field.clear()
        field.send_keys(password)
        self.after(lambda: self.driver.find_element(By.ID, "login-submit").click())

    def login(self, user_name, password=PASSWORD):
        """Logs in through the form and checks the console's home page came next."""
        self.submit_login(user_name, password)
        self.assertEqual(self.path(), "/console/", f"{user_name} logged in but landed on {self.where()}")
        self.wait_for("#whoami", f"#whoami missing on /console/ after {user_name} logged in")

    def lang(self):
        return self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang")

    # --- tests ---------------------------------------------------------------------------------------------------

    def test_login_and_home(self):
        self.login("pharm1")
        self.assertEqual(self.driver.current_url, BASE_URL + "/console/")
        self.assertEqual(self.status(), 200)
        self.assertIn("张药师", self.text_of("#whoami"))
        institution = self.text_of("#institution")
        self.assertTrue("YJ-TCMH" in institution or "永吉县中医院" in institution,
                        f"#institution shows {institution!r}, not YJ-TCMH / 永吉县中医院")
        self.assertEqual(self.lang(), "zh-CN")
        cookie = self.driver.get_cookie("crx_session")
        self.assertIsNotNone(cookie, "no crx_session cookie after logging in")
        self.assertIs(cookie.get("httpOnly"), True, f"crx_session: {cookie}")
        self.assertEqual(cookie.get("sameSite"), "Lax", f"crx_session: {cookie}")
        self.assertEqual(cookie.get("path"), "/console", f"crx_session: {cookie}")
        # Script cannot read it.
        self.assertNotIn("crx_session", self.driver.execute_script("return document.cookie"))

    def test_wrong_password_five_times_locks(self):
        for attempt in range(1, 6):
            self.submit_login("locky", f"wrong-password-{attempt}-xyz")
            error = self.wait_for("#login-error", f"#login-error missing after wrong password {attempt}")
            self.assertEqual(error.get_attribute("role"), "alert")
            self.assertEqual(self.path(), "/console/login")
            self.assertIn(self.status(), (401, 423), self.where())
            if attempt < 5:
                self.assertEqual(self.status(), 401, self.where())
                self.assertIn("用户名或密码错误", error.text)
            else:
                self.assertIn("锁定", error.text, f"the 5th wrong password: {error.text!r}")
        self.submit_login("locky", PASSWORD)
        error = self.wait_for("#login-error", "#login-error missing for the right password on a locked account")
        self.assertIn("锁定", error.text)
        self.assertEqual(self.status(), 423, self.where())
        self.assertIsNone(self.driver.get_cookie("crx_session"))
        actions = sql("SELECT action FROM audit_log WHERE entity_type = 'console_user' AND entity_key = 'locky' "
                      "ORDER BY id").split("\n")
        logins = [a for a in actions if a in ("login", "login_failed", "lock")]
        self.assertEqual(logins, ["login_failed"] * 4 + ["lock", "login_failed"], f"audit_log: {actions}")
        self.assertEqual(sql("SELECT locked_until > now() FROM console_users WHERE user_name = 'locky'"), "t")

    def test_form_without_csrf_is_refused(self):
        self.login("admin1")
        before = sessions_of("admin1")
        self.after(lambda: self.driver.execute_script("""
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/console/logout';
            const field = document.createElement('input');
            field.type = 'hidden'; field.name = 'note'; field.value = 'no csrf here';
            form.appendChild(field);
            document.body.appendChild(form);
            HTMLFormElement.prototype.submit.call(form);
        """))
        self.assertEqual(self.status(), 403, f"a logout without csrf: {self.where()}")
        error = self.wait_for("#error", f"#error missing on the 403 page: {self.where()}")
        self.assertIn("403", error.text)
        self.assertEqual(sessions_of("admin1"), before, "the refused logout ended the session")
        self.visit("/console/")
        self.assertEqual(self.path(), "/console/")
        self.assertIn("王主任", self.text_of("#whoami"))

        # Without a browser: a login with the right password but no csrf field (nor cookie).
        body = urllib.parse.urlencode({"user_name": "admin1", "password": PASSWORD}).encode()
        request = urllib.request.Request(BASE_URL + "/console/login", data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        opener = urllib.request.build_opener(_NoRedirect)
        with self.assertRaises(urllib.error.HTTPError) as refused:
            opener.open(request, timeout=10)
        self.assertEqual(refused.exception.code, 403)

    def test_prescriber_cannot_edit_catalogue_draft(self):
        self.login("doc1")
        self.visit("/console/catalogue/draft")
        self.assertEqual(self.status(), 403, f"doc1 on /console/catalogue/draft: {self.where()}")
        self.wait_for("#error", "#error missing on the 403 page of /console/catalogue/draft")
        self.assertFalse(self.has("#draft-form"), "a prescriber is shown #draft-form")
        self.assertFalse(self.has("#draft"), "a prescriber is shown #draft")

        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self.login("admin1")
        self.visit("/console/catalogue/draft")
        self.assertEqual(self.status(), 200, f"admin1 on /console/catalogue/draft: {self.where()}")
        self.wait_for("#draft", "#draft missing on /console/catalogue/draft for a consortium admin")
        self.assertFalse(self.has("#error"))

    def test_member_pharmacist_sees_only_own_institution(self):
        self.login("pharm2")
        institution = self.text_of("#institution")
        self.assertTrue("SL-TCMH" in institution or "舒兰市中医院" in institution,
                        f"pharm2's #institution shows {institution!r}")
        self.assertNotIn("YJ-TCMH", institution)
        self.wait_for("#todo", "#todo missing on /console/ for pharm2")
        page = self.driver.find_element(By.TAG_NAME, "body").text
        for other in ("YJ-TCMH", "永吉县中医院"):
            self.assertNotIn(other, page, f"pharm2's home page shows another member: {other}")

    def test_drug_search_by_pinyin(self):
        self.login("pharm1")
        box = self.wait_for("form#search input[name=q]", "the header search box missing on /console/")
        box.send_keys("aldp")
        self.after(lambda: box.send_keys(Keys.ENTER))
        self.assertEqual(self.path(), "/console/drugs")
        self.assertEqual(urllib.parse.parse_qs(urllib.parse.urlsplit(self.driver.current_url).query).get("q"),
                         ["aldp"])
        self.wait_for("#drug-results", f"#drug-results missing: {self.where()}")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#drug-results tr.drug")
        found = [row for row in rows if "氨氯地平" in row.text]
        self.assertTrue(found, f"no 氨氯地平 among {[row.text for row in rows]}")
        link = found[0].find_element(By.CSS_SELECTOR, "a[href*='/console/drugs/']")
        code = urllib.parse.unquote(urllib.parse.urlsplit(link.get_attribute("href")).path.rsplit("/", 1)[-1])
        self.after(link.click)
        self.assertEqual(self.status(), 200, self.where())
        self.assertEqual(self.text_of("#drug-code").strip(), code)
        self.assertIn("氨氯地平", self.driver.find_element(By.TAG_NAME, "body").text)

    def test_catalogue_in_effect(self):
        self.login("pharm1")
        self.visit("/console/catalogue")
        self.assertEqual(self.status(), 200, self.where())
        self.wait_for("#catalogue-items", f"#catalogue-items missing: {self.where()}")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#catalogue-items tr.item")
        self.assertGreater(len(rows), 0, "the catalogue in effect has no rows")
        self.wait_for("#catalogue-filter select[name=category]", "#catalogue-filter with select[name=category] missing")

    def test_language_switch(self):
        self.login("pharm1")
        self.assertEqual(self.lang(), "zh-CN")
        self.assertIn("目录", self.text_of("nav"))
        self.after(lambda: self.wait_for("#lang-switch").click())
        self.assertEqual(self.lang(), "en", self.where())
        self.assertEqual(self.path(), "/console/", "the switch did not come back to the page it was on")
        self.assertIn("Catalogue", self.text_of("nav"))
        self.wait_for("#whoami")
        self.after(lambda: self.wait_for("#lang-switch").click())
        self.assertEqual(self.lang(), "zh-CN", self.where())
        self.assertEqual(self.path(), "/console/")
        self.assertIn("目录", self.text_of("nav"))

    def test_logout_ends_session(self):
        self.login("admin1")
        before = sessions_of("admin1")
        self.assertGreaterEqual(before, 1)
        button = self.wait_for("#logout-form [type=submit]", "no submit button in #logout-form")
        self.after(button.click)
        self.assertEqual(sessions_of("admin1"), before - 1, "logging out did not delete the session's row")
        self.visit("/console/")
        self.assertEqual(self.path(), "/console/login", f"after logout /console/ shows {self.where()}")
        self.assertFalse(self.has("#whoami"))
        self.wait_for("form#login-form")

    def test_keyboard_and_labels(self):
        self.visit("/console/login")
        inputs = self.driver.find_elements(By.CSS_SELECTOR, "input:not([type=hidden])")
        self.assertGreaterEqual(len(inputs), 2)
        for field in inputs:
            name = field.get_attribute("name") or field.get_attribute("id")
            field_id = field.get_attribute("id")
            labelled = bool(field_id) and self.has(f"label[for='{field_id}']")
            self.assertTrue(labelled or (field.get_attribute("aria-label") or "").strip(),
                            f"input {name!r} on /console/login has no <label for> nor aria-label")

        def keys(*typed):
            ActionChains(self.driver).send_keys(*typed).perform()

        active = lambda: self.driver.switch_to.active_element.get_attribute("id")  # noqa: E731
        for _ in range(20):
            if active() == "user_name":
                break
            keys(Keys.TAB)
        self.assertEqual(active(), "user_name", "Tab never reaches #user_name")
        keys("pharm1")
        keys(Keys.TAB)
        self.assertEqual(active(), "password", "Tab from #user_name does not go to #password")
        keys(PASSWORD)
        self.after(lambda: keys(Keys.ENTER))
        self.assertEqual(self.path(), "/console/", f"Enter in the password field: {self.where()}")
        self.assertIn("张药师", self.text_of("#whoami"))

    def test_readable_at_1366_and_tablet(self):
        self.login("pharm1")
        for width, height in ((1366, 768), (768, 1024)):
            self.driver.set_window_size(width, height)
            self.visit("/console/")
            self.wait_for("#whoami")
            scroll, inner = self.driver.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            self.assertLessEqual(scroll, inner, f"at {width}×{height} the home page scrolls sideways "
                                                f"(scrollWidth {scroll} > innerWidth {inner})")


if __name__ == "__main__":
    unittest.main(verbosity=2)
