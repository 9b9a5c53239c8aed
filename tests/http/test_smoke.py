import pytest

from tests.http.conftest import body_of


@pytest.mark.req("REQ-9")
@pytest.mark.gen_test
async def test_book_one_seat(api):
    response = await api.book()
    assert response.code == 200, response.body
    assert body_of(response)["seats"] == ["A5"]
