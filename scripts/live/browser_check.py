"""Drives the dashboard in headless Chromium (Debian's chromium and chromium-driver)
with selenium: log in from the keyboard, a wrong password, an echo job turning
succeeded without a reload and its output, a sleep 60 stopped to cancelled, the admin
overview. Screenshots go to ARTIFACTS. Each check prints one line; the first failure
raises (after a screenshot of the moment).

Then the links in mail (received by aiosmtpd into MAIL_DIR): a confirmation link that
works once, a password reset from the login page, and a job's notice.

Environment: BASE, ADMIN_EMAIL (the bootstrap admin, registered here), ARTIFACTS, MAIL_DIR.
"""
import email
import email.policy
import base64
import hashlib
import hmac
import json
import os
import pathlib
import struct
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ["BASE"]
ARTIFACTS = pathlib.Path(os.environ["ARTIFACTS"])
ARTIFACTS.mkdir(parents=True, exist_ok=True)
PASSWORD = "correct horse"


def totp(secret, offset=0):
    """The authenticator's code for the step `offset` steps from now (RFC 6238)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + offset), hashlib.sha1).digest()
    at = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[at:at + 4])[0] & 0x7FFFFFFF) % 1000000)


def ok(message):
    print(f"browser: ok: {message}", flush=True)


def register(email):
    request = urllib.request.Request(f"{BASE}/api/v1/auth/register", method="POST",
                                     data=json.dumps({"email": email, "password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request).read()
    except urllib.error.HTTPError as error:
        if error.code != 409:  # already registered by an earlier check
            raise


def wait_mail(to, subject_part, seen, timeout=30):
    """The first message in MAIL_DIR not in `seen` for `to` whose subject contains
    `subject_part` (as an email.message.EmailMessage)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in sorted(pathlib.Path(os.environ["MAIL_DIR"]).glob("*.eml")):
            if path.name in seen:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to in str(message["To"]) and subject_part in str(message["Subject"]):
                seen.add(path.name)
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to} about {subject_part!r} within {timeout} s")


def link_in(message, fragment):
    text = message.get_body(preferencelist=("plain",)).get_content()
    return next(word for word in text.split() if fragment in word)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main():
    email = os.environ["ADMIN_EMAIL"]
    register(email)
    driver = browser()
    wait = WebDriverWait(driver, 30)
    text_of = lambda element_id: driver.find_element(By.ID, element_id).text

    def until(condition, timeout=30):
        """Waits for `condition`; a row replaced under it (live updates re-render rows)
        just means trying again."""
        return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)

    def wait_text(element_id, expected, timeout=30):
        until(lambda d: d.find_element(By.ID, element_id).text == expected, timeout)

    def open_job(job_id):
        until(lambda d: d.find_element(By.CSS_SELECTOR, f"#job-row-{job_id} a").click() or True)
        wait.until(EC.visibility_of_element_located((By.ID, "view-job")))

    def submit(command, argument):
        """Fills the form, submits, and returns the id of the job's row once it shows."""
        for element_id, value in (("job-command", command), ("job-args", argument)):
            field = driver.find_element(By.ID, element_id)
            field.clear()
            field.send_keys(value)
        driver.find_element(By.ID, "job-submit").click()
        row_id = until(lambda d: next((r.get_attribute("id") for r in d.find_elements(By.CSS_SELECTOR, "#jobs-body tr")
                                       if f"{command} {argument}" in r.text), None))
        return row_id.removeprefix("job-row-")

    def wait_row_status(job_id, status):
        until(lambda d: d.find_element(By.ID, f"job-row-{job_id}").get_attribute("data-status") == status)

    try:
        driver.get(f"{BASE}/dashboard")
        wait.until(EC.visibility_of_element_located((By.ID, "login-email")))

        # A wrong password shows an error, and nothing else happens.
        driver.find_element(By.ID, "login-email").send_keys(email)
        driver.find_element(By.ID, "login-password").send_keys("not the password")
        driver.find_element(By.ID, "login-submit").click()
        wait_text("login-error", "Wrong email or password.")
        assert driver.find_element(By.ID, "view-login").is_displayed()
        ok("a wrong password shows an error")

        # Log in from the keyboard: Tab to the password, Enter submits.
        field = driver.find_element(By.ID, "login-password")
        field.clear()
        driver.find_element(By.ID, "login-email").click()
        driver.switch_to.active_element.send_keys(Keys.TAB)
        driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
        wait.until(EC.visibility_of_element_located((By.ID, "view-jobs")))
        logged_in_at = time.time()
        assert email in text_of("who"), text_of("who")
        ok("logged in from the keyboard")

        # Submit echo; its row turns succeeded without a reload.
        url_before = driver.current_url
        job_id = submit("echo", "hello from the browser")
        wait_row_status(job_id, "succeeded")
        assert driver.current_url == url_before, "the page navigated"
        driver.save_screenshot(str(ARTIFACTS / "jobs-list.png"))
        ok("echo turned succeeded in the list without a reload")

        # Its page: the output, exit code, attempts, timings.
        open_job(job_id)
        wait_text("job-status", "succeeded")
        wait_text("job-stdout", "hello from the browser")
        assert text_of("job-exit") == "0", text_of("job-exit")
        assert text_of("job-attempts-used") == "1 of 1", text_of("job-attempts-used")
        assert text_of("job-finished") not in ("", "—") and text_of("job-duration").endswith("s"), text_of("job-duration")
        assert not driver.find_element(By.ID, "stop-button").is_enabled()
        driver.save_screenshot(str(ARTIFACTS / "job.png"))
        ok("the job's page shows its output, exit code 0, attempts and timings")

        # sleep 60, watched live, stopped: cancelled.
        driver.find_element(By.ID, "nav-jobs").click()
        wait.until(EC.visibility_of_element_located((By.ID, "view-jobs")))
        sleeper_id = submit("sleep", "60")
        open_job(sleeper_id)
        wait_text("job-status", "running")
        driver.find_element(By.ID, "stop-button").click()
        wait_text("job-status", "cancelled", timeout=20)
        assert "stopped" in text_of("job-error"), text_of("job-error")
        ok("sleep 60 running, stop pressed, cancelled")

        # The admin overview: counts, the chart, the worker.
        driver.find_element(By.ID, "nav-overview").click()
        wait.until(EC.visibility_of_element_located((By.ID, "view-overview")))
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#overview-chart svg rect.succeeded")))
        until(lambda d: os.environ["WORKER_ID"] in d.find_element(By.ID, "workers-body").text)
        assert "cancelled" in text_of("status-counts")
        driver.save_screenshot(str(ARTIFACTS / "overview.png"))
        ok("the overview shows counts, a chart of finished jobs and the worker")

        # A phone-sized window: the list still reads.
        driver.set_window_size(390, 844)
        driver.find_element(By.ID, "nav-jobs").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#jobs-body tr")))
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"the page is {width}px wide on a phone"
        driver.save_screenshot(str(ARTIFACTS / "jobs-list-phone.png"))
        ok(f"phone-sized: the page fits ({width}px)")

        # The access token expires (the stack runs with short-lived ones): the list's
        # stream is ended by the server and resumed after a refresh, and a submission
        # refreshes too. Nothing is reloaded.
        driver.set_window_size(1280, 900)
        ttl = int(os.environ["ACCESS_TOKEN_TTL"])
        time.sleep(max(0, logged_in_at + ttl + 3 - time.time()))
        late_id = submit("echo", "after the token expired")
        wait_row_status(late_id, "succeeded")
        assert driver.find_element(By.ID, "view-jobs").is_displayed()
        ok(f"after the {ttl} s access token expired: refreshed, submitted, and the list still live")

        # Filter by status: only the cancelled sleep is left.
        Select(driver.find_element(By.ID, "filter-status")).select_by_visible_text("cancelled")
        until(lambda d: [(r.get_attribute("data-status"), "sleep 60" in r.text)
                         for r in d.find_elements(By.CSS_SELECTOR, "#jobs-body tr")] == [("cancelled", True)])
        Select(driver.find_element(By.ID, "filter-status")).select_by_visible_text("all")
        until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#jobs-body tr")) == 3)
        ok("the status filter shows only the cancelled job, then all three again")

        # The security page: the admin's own events (the wrong password first tried, then
        # the login), then everyone's, filtered by action.
        driver.find_element(By.ID, "nav-security").click()
        wait.until(EC.visibility_of_element_located((By.ID, "view-security")))
        own = lambda d: [r.get_attribute("data-action") for r in d.find_elements(By.CSS_SELECTOR, "#audit-body tr")]
        until(lambda d: "login.succeeded" in own(d) and "login.failed" in own(d))
        failed = next(r for r in driver.find_elements(By.CSS_SELECTOR, "#audit-body tr")
                      if r.get_attribute("data-action") == "login.failed")
        assert "wrong_password" in failed.text and "failure" in failed.text, failed.text
        driver.save_screenshot(str(ARTIFACTS / "security.png"))
        driver.find_element(By.ID, "audit-everyone").click()
        wait.until(EC.visibility_of_element_located((By.ID, "audit-actor")))
        wait_text("security-title", "Audit trail (everyone)")
        driver.find_element(By.ID, "audit-action").send_keys("account.registered", Keys.ENTER)
        until(lambda d: own(d) and set(own(d)) == {"account.registered"})
        driver.find_element(By.ID, "audit-everyone").click()
        until(lambda d: not d.find_element(By.ID, "audit-actor").is_displayed())
        ok("the security page lists the admin's logins (the failed one with its reason), and everyone's by action")

        # Two-factor login: turn it on from the security page (QR code, a first code, the
        # recovery codes), log out, and log in again with a code.
        driver.find_element(By.ID, "audit-action").clear()
        driver.find_element(By.ID, "audit-action").send_keys(Keys.ENTER)
        driver.find_element(By.ID, "mfa-enable").click()
        wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#mfa-qr svg")))
        secret = text_of("mfa-secret")
        driver.save_screenshot(str(ARTIFACTS / "mfa-enrol.png"))
        driver.find_element(By.ID, "mfa-confirm-code").send_keys(totp(secret), Keys.ENTER)
        until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#mfa-recovery-codes li")) == 10)
        recovery = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#mfa-recovery-codes li")]
        wait_text("mfa-status", "On. 10 recovery codes left.")
        until(lambda d: "mfa.enabled" in own(d))
        driver.save_screenshot(str(ARTIFACTS / "mfa-on.png"))
        driver.find_element(By.ID, "logout").click()
        wait.until(EC.visibility_of_element_located((By.ID, "login-email")))
        driver.find_element(By.ID, "login-email").clear()
        driver.find_element(By.ID, "login-email").send_keys(email)
        driver.find_element(By.ID, "login-password").send_keys(PASSWORD, Keys.ENTER)
        wait.until(EC.visibility_of_element_located((By.ID, "mfa-code")))
        driver.find_element(By.ID, "mfa-code").send_keys("000000", Keys.ENTER)
        until(lambda d: d.find_element(By.ID, "mfa-error").text.startswith("Wrong or expired code"))
        driver.find_element(By.ID, "mfa-use-recovery").click()
        field = driver.find_element(By.ID, "mfa-code")
        field.clear()
        field.send_keys(recovery[0], Keys.ENTER)
        # Signed in again, back on the page it was on, whose events show the recovery code's use.
        wait.until(EC.visibility_of_element_located((By.ID, "view-security")))
        assert email in text_of("who"), text_of("who")
        until(lambda d: any(r.get_attribute("data-action") == "login.succeeded" and "second_factor=recovery_code" in r.text
                            for r in d.find_elements(By.CSS_SELECTOR, "#audit-body tr")))
        wait_text("mfa-status", "On. 9 recovery codes left.")
        ok("two-factor login turned on from the page (QR code, first code, ten recovery codes); a login asked for a code and took a recovery code")

        # Off again (password and a current code): the other checks log in with a password alone.
        driver.find_element(By.ID, "mfa-disable-password").send_keys(PASSWORD)
        driver.find_element(By.ID, "mfa-disable-code").send_keys(totp(secret, 1), Keys.ENTER)
        wait_text("mfa-status", "Off: a password alone logs in to this account.")
        until(lambda d: "mfa.disabled" in own(d))
        ok("two-factor login turned off with the password and a code")

        # Mail: its links open pages of the dashboard.
        reader = "reader@live.example.com"
        seen = set()
        register(reader)
        welcome = wait_mail(reader, "confirm your address", seen)
        assert "multipart/alternative" in welcome.get_content_type(), welcome.get_content_type()
        confirm = link_in(welcome, "#/verify-email?token=")
        assert confirm.startswith(f"{BASE}/dashboard#/verify-email?token="), confirm
        driver.get(confirm)
        wait_text("verify-result", "Your address is confirmed. Thank you.")
        driver.save_screenshot(str(ARTIFACTS / "mail-confirmed.png"))
        driver.get(f"{BASE}/dashboard#/jobs")
        driver.get(confirm)
        wait_text("verify-result", "This link is invalid, has expired or was already used.")
        ok("the welcome mail's link confirms the address, once")

        driver.find_element(By.ID, "logout").click()
        wait.until(EC.visibility_of_element_located((By.ID, "forgot-link")))
        driver.find_element(By.ID, "forgot-link").click()
        wait.until(EC.visibility_of_element_located((By.ID, "forgot-email")))
        driver.find_element(By.ID, "forgot-email").send_keys(reader, Keys.ENTER)
        until(lambda d: d.find_element(By.ID, "forgot-sent").text.startswith(f"If {reader} has an account"))
        reset = link_in(wait_mail(reader, "Reset your", seen), "#/reset-password?token=")
        driver.get(reset)
        wait.until(EC.visibility_of_element_located((By.ID, "reset-password")))
        driver.find_element(By.ID, "reset-password").send_keys("a brand new password")
        driver.find_element(By.ID, "reset-password-again").send_keys("a brand new password", Keys.ENTER)
        wait.until(EC.visibility_of_element_located((By.ID, "reset-done")))
        driver.save_screenshot(str(ARTIFACTS / "mail-reset.png"))
        driver.find_element(By.CSS_SELECTOR, "#reset-done a").click()
        wait.until(EC.visibility_of_element_located((By.ID, "login-email")))
        driver.find_element(By.ID, "login-email").clear()
        driver.find_element(By.ID, "login-email").send_keys(reader)
        driver.find_element(By.ID, "login-password").clear()
        driver.find_element(By.ID, "login-password").send_keys("a brand new password", Keys.ENTER)
        until(lambda d: reader in d.find_element(By.ID, "who").text)
        ok("a reset asked for on the login page: the mailed link sets a new password, which then logs in")

        wait.until(EC.visibility_of_element_located((By.ID, "job-command")))
        for field, value in (("job-command", "echo"), ("job-args", "noticed")):
            driver.find_element(By.ID, field).clear()
            driver.find_element(By.ID, field).send_keys(value)
        driver.find_element(By.ID, "job-notify").click()
        driver.find_element(By.ID, "job-submit").click()
        notice = wait_mail(reader, "succeeded", seen, timeout=60)
        assert "Your job" in notice.get_body(preferencelist=("plain",)).get_content()
        ok("a job submitted with 'Mail me when it ends' mailed its owner when it succeeded")

        # Nothing the Content-Security-Policy refused, no script error.
        # (The wrong password's 401 is logged by Chromium as a failed load: expected.)
        problems = [entry["message"] for entry in driver.get_log("browser")
                    if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
                    and not ("/api/v1/auth/login" in entry["message"] and "401" in entry["message"])
                    # and the wrong second-factor code's
                    and not ("/api/v1/auth/mfa" in entry["message"] and "401" in entry["message"])
                    # and the used confirmation link's 400
                    and not ("/api/v1/auth/verify-email" in entry["message"] and "400" in entry["message"])
                    # and the expired token's 401s, each answered by a refresh
                    and not ("/api/v1/" in entry["message"] and "401 (Unauthorized)" in entry["message"])]
        assert not problems, problems
        ok("no console errors, no Content-Security-Policy violations")
    except (AssertionError, TimeoutException):
        driver.save_screenshot(str(ARTIFACTS / "failure.png"))
        print("browser: the page at the failure:", driver.current_url)
        for entry in driver.get_log("browser"):
            print("browser console:", entry["level"], entry["message"])
        raise
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
