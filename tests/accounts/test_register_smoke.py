def test_it_registers_a_player(api_client, db):
    response = api_client.post(
        "/api/v1/auth/register",
        {"username": "carol", "email": "carol@example.com", "password": "Sup3r-secret-pw"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["data"]["user"]["username"] == "carol"
    assert body["data"]["user"]["role"] == "user"
