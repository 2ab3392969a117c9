"""Campaigns belong to one user: created, listed and read only by their owner."""

from __future__ import annotations

import pytest
from pymongo.database import Database

from services.core.clock import utc_now
from services.core.errors import ForbiddenError, NotFoundError, ValidationError
from services.workflows.campaigns import CampaignService, ensure_campaign_indexes
from tests.support.briefs import a_brief


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


def test_an_unknown_campaign_id_on_a_new_workflow_creates_that_campaign_for_the_user_named_after_it(make_service):
    service = make_service()
    workflow = service.create_workflow(user_id="alice", brief=a_brief(campaign_id="campaign_123"))
    [campaign] = service.campaigns.list(user_id="alice")
    assert (workflow.campaign_id, campaign.id, campaign.name) == ("campaign_123", "campaign_123", "campaign_123")
    service.create_workflow(user_id="alice", brief=a_brief(campaign_id="campaign_123"))
    assert len(service.campaigns.list(user_id="alice")) == 1, "the second workflow joins the same campaign"


def test_the_same_campaign_id_from_another_user_gets_their_own_campaign_never_the_first_users(make_service):
    service = make_service()
    service.create_workflow(user_id="alice", brief=a_brief(campaign_id="campaign_123"))
    service.campaigns.rename(user_id="alice", campaign_id="campaign_123", name="Alice's summer")
    service.create_workflow(user_id="bob", brief=a_brief(campaign_id="campaign_123"))
    [bobs] = service.campaigns.list(user_id="bob")
    assert (bobs.user_id, bobs.name) == ("bob", "campaign_123")
    assert service.campaigns.get(user_id="alice", campaign_id="campaign_123").name == "Alice's summer"


def test_a_campaign_can_be_renamed_but_not_to_a_name_the_user_already_has(campaigns: CampaignService):
    first = campaigns.ensure(user_id="alice", campaign_id="campaign_123")
    campaigns.create(user_id="alice", name="Autumn")
    assert campaigns.rename(user_id="alice", campaign_id=first.id, name="Summer").name == "Summer"
    with pytest.raises(ValidationError, match="already have a campaign called 'Autumn'"):
        campaigns.rename(user_id="alice", campaign_id=first.id, name="Autumn")
    with pytest.raises(ForbiddenError):
        campaigns.rename(user_id="bob", campaign_id=first.id, name="Mine now")


def test_campaigns_stored_before_per_user_ids_get_their_id_field(db: Database):
    db["campaigns"].insert_one({"_id": "old-id", "userId": "alice", "name": "Old", "createdAt": utc_now()})
    ensure_campaign_indexes(db)
    assert CampaignService(db, clock=utc_now).get(user_id="alice", campaign_id="old-id").name == "Old"
