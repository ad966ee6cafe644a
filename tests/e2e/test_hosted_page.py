"""The hosted checkout page in a real browser (headless Chromium).

Each test creates its session over the Stripe API, opens the session's
``url`` as a customer would, and checks the outcome both in the browser and
through the API. Form controls are found by their ``autocomplete`` tokens and
the ``shipping_rate`` radio group, the names DESIGN.md makes a contract.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = pytest.mark.timeout(120)

WAIT = 15


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def make_session(api, merchant, **extra) -> tuple[dict, list[str]]:
    """A hosted payment session: 2 × $20.00 T-shirt (10% tax) and a $12.50
    mug; Standard ($5.00) and Express ($15.00) shipping; ships to US and GB."""
    standard = api.post(
        "/v1/shipping_rates",
        {
            "display_name": "Standard",
            "fixed_amount": {"amount": 500, "currency": "usd"},
            "delivery_estimate": {
                "minimum": {"unit": "business_day", "value": 3},
                "maximum": {"unit": "business_day", "value": 5},
            },
        },
    )["id"]
    express = api.post(
        "/v1/shipping_rates",
        {"display_name": "Express", "fixed_amount": {"amount": 1500, "currency": "usd"}},
    )["id"]
    vat = api.post("/v1/tax_rates", {"display_name": "VAT", "percentage": "10", "inclusive": False})["id"]
    params = {
        "mode": "payment",
        "success_url": merchant.success_url,
        "cancel_url": merchant.cancel_url,
        "customer_email": "jenny@example.com",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 2000, "product_data": {"name": "Organic cotton T-shirt"}},
                "quantity": 2,
                "tax_rates": [vat],
            },
            {
                "price_data": {"currency": "usd", "unit_amount": 1250, "product_data": {"name": "Enamel mug"}},
                "quantity": 1,
            },
        ],
        "shipping_options": [{"shipping_rate": standard}, {"shipping_rate": express}],
        "shipping_address_collection": {"allowed_countries": ["US", "GB"]},
    }
    params.update(extra)
    session = api.post("/v1/checkout/sessions", params)
    assert session["url"], session
    return session, [standard, express]


def by_autocomplete(driver, token: str):
    return driver.find_element(By.CSS_SELECTOR, f'[autocomplete="{token}"]')


def text_of(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text.strip()


def wait_for_text(driver, element_id: str, expected: str) -> None:
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_elements(By.ID, element_id) and text_of(d, element_id) == expected,
        message=f"#{element_id} never showed {expected!r}",
    )


def body_state(driver) -> str:
    """`data-state` of the page (open, complete, expired, not_found, ...)."""
    return driver.execute_script("return document.body ? document.body.getAttribute('data-state') : null") or ""


def fill(driver, token: str, value: str) -> None:
    el = by_autocomplete(driver, token)
    el.clear()
    el.send_keys(value)


def fill_address(driver) -> None:
    fill(driver, "name", "Jenny Rosen")
    Select(by_autocomplete(driver, "country")).select_by_value("US")
    fill(driver, "address-line1", "510 Townsend St")
    fill(driver, "address-line2", "Floor 2")
    fill(driver, "address-level2", "San Francisco")
    fill(driver, "address-level1", "CA")
    fill(driver, "postal-code", "94103")


def fill_card(driver, number: str) -> None:
    fill(driver, "cc-number", number)
    fill(driver, "cc-exp", "12 / 34")
    fill(driver, "cc-csc", "123")


def pay(driver) -> None:
    driver.find_element(By.ID, "pay-button").click()


def completed_events(api, session_id: str):
    """`checkout.session.completed` events of a session, or None while the
    events endpoint does not exist."""
    resp = api.request("GET", "/v1/events", {"type": "checkout.session.completed", "limit": 100})
    if resp.status_code == 404:
        return None
    assert resp.status_code == 200, resp.text
    return [e for e in resp.json()["data"] if e["data"]["object"]["id"] == session_id]


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------


def test_paying_without_javascript_completes_the_session_and_lands_on_the_success_url(api, merchant, browser):
    # Arrange
    session, (standard, express) = make_session(api, merchant)
    driver = browser(javascript=False)
    driver.get(session["url"])
    assert text_of(driver, "total") == "$61.50"
    assert text_of(driver, "subtotal") == "$52.50"
    assert text_of(driver, "tax-amount") == "$4.00"
    assert text_of(driver, "shipping-amount") == "$5.00"
    assert by_autocomplete(driver, "email").get_attribute("value") == "jenny@example.com"
    items = driver.find_element(By.ID, "line-items").text
    assert "Organic cotton T-shirt" in items and "Qty 2" in items and "$40.00" in items
    assert "Enamel mug" in items and "$12.50" in items

    # Act: pick the second shipping option and update the total
    driver.find_element(By.CSS_SELECTOR, f'input[name="shipping_rate"][value="{express}"]').click()
    driver.find_element(By.ID, "update-total").click()

    # Assert: the page and the API agree on the new total
    wait_for_text(driver, "total", "$71.50")
    assert text_of(driver, "shipping-amount") == "$15.00"
    assert driver.find_element(By.CSS_SELECTOR, f'input[name="shipping_rate"][value="{express}"]').is_selected()
    mid = api.get(f"/v1/checkout/sessions/{session['id']}")
    assert mid["amount_total"] == 7150
    assert mid["shipping_cost"]["shipping_rate"] == express

    # Act: fill the address and the success card, pay
    fill_address(driver)
    fill_card(driver, "4242 4242 4242 4242")
    pay(driver)

    # Assert: redirected to the success URL with the id filled in
    WebDriverWait(driver, WAIT).until(lambda d: d.current_url.startswith(merchant.base + "/success"))
    assert driver.current_url == f"{merchant.base}/success?session_id={session['id']}"
    done = api.get(f"/v1/checkout/sessions/{session['id']}")
    assert done["status"] == "complete"
    assert done["payment_status"] == "paid"
    assert done["url"] is None
    assert done["amount_total"] == 7150
    assert done["shipping_cost"]["shipping_rate"] == express
    assert done["customer_details"]["email"] == "jenny@example.com"
    assert done["customer_details"]["name"] == "Jenny Rosen"
    shipping = done["collected_information"]["shipping_details"]
    assert shipping["name"] == "Jenny Rosen"
    assert shipping["address"] == {
        "city": "San Francisco",
        "country": "US",
        "line1": "510 Townsend St",
        "line2": "Floor 2",
        "postal_code": "94103",
        "state": "CA",
    }
    assert done["payment_intent"]
    events = completed_events(api, session["id"])
    if events is not None:
        assert len(events) == 1

    # Act: the back button returns to the page (freshly loaded, or restored
    # from the back/forward cache as it was); if it still shows the form,
    # submit it again.
    driver.back()
    WebDriverWait(driver, WAIT).until(body_state)
    if body_state(driver) == "open":
        pay(driver)
        WebDriverWait(driver, WAIT).until(lambda d: body_state(d) == "complete")
        assert text_of(driver, "state-heading") == "Already paid"

    # Assert: the paid state, no form, and nothing was paid twice
    assert body_state(driver) == "complete"
    assert driver.find_elements(By.TAG_NAME, "form") == []
    again = api.get(f"/v1/checkout/sessions/{session['id']}")
    assert again["payment_intent"] == done["payment_intent"]
    events = completed_events(api, session["id"])
    if events is not None:
        assert len(events) == 1


def test_choosing_a_shipping_option_updates_the_total_at_once_with_javascript(api, merchant, browser):
    # Arrange
    session, (_, express) = make_session(api, merchant)
    driver = browser(javascript=True)
    driver.get(session["url"])
    assert text_of(driver, "total") == "$61.50"

    # Act: only choose the radio, press nothing
    driver.find_element(By.CSS_SELECTOR, f'input[name="shipping_rate"][value="{express}"]').click()

    # Assert
    wait_for_text(driver, "total", "$71.50")
    assert api.get(f"/v1/checkout/sessions/{session['id']}")["amount_total"] == 7150


def test_the_decline_card_shows_a_message_and_the_session_stays_open(api, merchant, browser):
    # Arrange
    session, _ = make_session(api, merchant)
    driver = browser(javascript=True)
    driver.get(session["url"])
    fill_address(driver)
    fill_card(driver, "4000 0000 0000 0002")

    # Act
    pay(driver)

    # Assert
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.ID, "notice"))
    notice = driver.find_element(By.ID, "notice")
    assert notice.is_displayed()
    assert "declined" in notice.text.lower()
    assert driver.current_url == session["url"]
    assert driver.find_elements(By.ID, "checkout-form")
    assert by_autocomplete(driver, "address-line1").get_attribute("value") == "510 Townsend St"
    still = api.get(f"/v1/checkout/sessions/{session['id']}")
    assert still["status"] == "open"
    assert still["payment_status"] == "unpaid"

    # Act: a good card on the same page then pays
    fill_card(driver, "4242424242424242")
    pay(driver)
    WebDriverWait(driver, WAIT).until(lambda d: d.current_url.startswith(merchant.base + "/success"))
    assert api.get(f"/v1/checkout/sessions/{session['id']}")["status"] == "complete"


def test_a_number_failing_the_luhn_check_is_rejected_with_a_message(api, merchant, browser):
    # Arrange
    session, _ = make_session(api, merchant)
    driver = browser(javascript=False)
    driver.get(session["url"])
    fill_address(driver)
    fill_card(driver, "4242 4242 4242 4241")

    # Act
    pay(driver)

    # Assert
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.ID, "card-number-error"))
    assert driver.find_element(By.ID, "card-number-error").text == "Your card number is invalid."
    assert by_autocomplete(driver, "cc-number").get_attribute("aria-invalid") == "true"
    assert api.get(f"/v1/checkout/sessions/{session['id']}")["status"] == "open"


def test_an_expired_session_shows_its_state_and_no_form(api, merchant, browser):
    # Arrange
    session, _ = make_session(api, merchant)
    api.post(f"/v1/checkout/sessions/{session['id']}/expire")
    driver = browser(javascript=False)

    # Act
    driver.get(session["url"])

    # Assert
    assert body_state(driver) == "expired"
    assert "expired" in text_of(driver, "state-heading").lower()
    assert driver.find_elements(By.TAG_NAME, "form") == []
    assert driver.find_elements(By.CSS_SELECTOR, "input") == []


def test_the_cancel_link_returns_to_the_cancel_url(api, merchant, browser):
    # Arrange
    session, _ = make_session(api, merchant)
    driver = browser(javascript=False)
    driver.get(session["url"])

    # Act
    driver.find_element(By.ID, "cancel-link").click()

    # Assert
    WebDriverWait(driver, WAIT).until(lambda d: d.current_url.startswith(merchant.base))
    assert driver.current_url == merchant.cancel_url
    assert api.get(f"/v1/checkout/sessions/{session['id']}")["status"] == "open"


def test_an_unknown_session_is_a_404_page(api, browser):
    # Arrange
    url = api.base + "/c/pay/cs_test_doesnotexist"
    driver = browser(javascript=False)

    # Act
    driver.get(url)

    # Assert
    assert requests.get(url, timeout=10).status_code == 404
    assert text_of(driver, "state-heading") == "Page not found"
    assert driver.find_elements(By.TAG_NAME, "form") == []


def test_the_stylesheet_and_script_load_under_the_content_security_policy(api, merchant, browser):
    # Arrange
    session, _ = make_session(api, merchant)
    driver = browser(javascript=True)

    # Act
    driver.get(session["url"])

    # Assert: the stylesheet styled the pay button; the console has no CSP violation
    color = driver.execute_script(
        "return getComputedStyle(document.getElementById('pay-button')).backgroundColor"
    )
    assert color == "rgb(99, 91, 255)"
    logs = driver.get_log("browser")
    assert not [entry for entry in logs if "Content Security Policy" in entry.get("message", "")], logs


def _full_page_png(driver, path: Path, width: int, mobile: bool, scale: float) -> None:
    metrics = {"width": width, "height": 800, "deviceScaleFactor": scale, "mobile": mobile}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": height})
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width, "horizontal overflow"
    driver.save_screenshot(str(path))


@pytest.mark.parametrize(
    "name,width,mobile,scale",
    [("hosted-page.png", 1280, False, 1), ("hosted-page-phone.png", 390, True, 2)],
)
def test_screenshots_fit_a_phone_and_a_desktop(api, merchant, browser, tmp_path, name, width, mobile, scale):
    # Arrange: a filled-in page, as a customer sees it before paying
    session, (_, express) = make_session(api, merchant)
    driver = browser(javascript=False, width=width, height=900)
    driver.get(session["url"])
    driver.find_element(By.CSS_SELECTOR, f'input[name="shipping_rate"][value="{express}"]').click()
    driver.find_element(By.ID, "update-total").click()
    wait_for_text(driver, "total", "$71.50")
    fill_address(driver)

    # Act
    out_dir = Path(os.environ.get("CHECKOUTD_SCREENSHOT_DIR") or tmp_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    _full_page_png(driver, out_dir / name, width, mobile, scale)

    # Assert
    assert (out_dir / name).stat().st_size > 10_000
