"""Campaigns belong to one user: created, listed and read only by their owner."""

from __future__ import annotations

import pytest
from pymongo.database import Database

from services.core.clock import utc_now
from services.core.errors import ForbiddenError, NotFoundError, ValidationError
from services.workflows.campaigns import CampaignService, ensure_campaign_indexes


@pytest.fixture
def campaigns(db: Database) -> CampaignService:
    ensure_campaign_indexes(db)
    return CampaignService(db, clock=utc_now)


def test_each_user_lists_only_their_own_campaigns_by_name(campaigns: CampaignService):
    campaigns.create(user_id="alice", name="Summer")
    campaigns.create(user_id="alice", name="Autumn")
    campaigns.create(user_id="bob", name="Bob's launch")
    assert [c.name for c in campaigns.list(user_id="alice")] == ["Autumn", "Summer"]
    assert [c.name for c in campaigns.list(user_id="bob")] == ["Bob's launch"]


def test_a_user_cannot_reuse_a_campaign_name_but_another_user_can(campaigns: CampaignService):
    campaigns.create(user_id="alice", name="Summer")
    with pytest.raises(ValidationError, match="already have a campaign"):
        campaigns.create(user_id="alice", name="Summer")
    assert campaigns.create(user_id="bob", name="Summer").user_id == "bob"


def test_reading_another_users_campaign_is_forbidden_and_a_missing_one_not_found(campaigns: CampaignService):
    summer = campaigns.create(user_id="alice", name="Summer")
    assert campaigns.get(user_id="alice", campaign_id=summer.id).name == "Summer"
    with pytest.raises(ForbiddenError):
        campaigns.get(user_id="bob", campaign_id=summer.id)
    with pytest.raises(NotFoundError):
        campaigns.get(user_id="alice", campaign_id="nope")


def test_a_campaign_needs_a_name(campaigns: CampaignService):
    with pytest.raises(ValidationError, match="Campaign name"):
        campaigns.create(user_id="alice", name="   ")
