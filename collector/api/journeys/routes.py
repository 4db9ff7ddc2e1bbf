"""CX API: journeys with their ordered steps, and the prompts asked at each step."""

from flask import g
from flask.views import MethodView

from collector.api.auth import require_scope
from collector.api.hooks import require_json_body
from collector.api.journeys.schemas import (
    JourneyListSchema,
    JourneySchema,
    JourneyUpdateSchema,
    PromptListSchema,
    PromptPatchSchema,
    PromptSchema,
    StepCreateSchema,
    StepSchema,
    StepUpdateSchema,
)
from collector.api.json_input import Blueprint
from collector.extensions import db
from collector.tenancy import journeys

blp = Blueprint("journeys", __name__, url_prefix="/v1/journeys", description="Journeys, steps and prompts.")
blp.before_request(require_json_body)


@blp.route("")
class Journeys(MethodView):
    @require_scope("read")
    @blp.response(200, JourneyListSchema)
    def get(self):
        """List the site's journeys with their steps."""
        return {"items": journeys.list_journeys(db.session, g.site)}

    @require_scope("write")
    @blp.arguments(JourneySchema)
    @blp.response(201, JourneySchema)
    @blp.alt_response(409, description="A journey with this key exists.")
    def post(self, values):
        """Create a journey, optionally with its ordered steps."""
        return journeys.create_journey(db.session, g.site, values)


@blp.route("/<string:key>")
class JourneyByKey(MethodView):
    @require_scope("read")
    @blp.response(200, JourneySchema)
    @blp.alt_response(404, description="No such journey on this site.")
    def get(self, key):
        """One journey with its steps in order."""
        return journeys.get_journey(db.session, g.site, key)

    @require_scope("write")
    @blp.arguments(JourneyUpdateSchema)
    @blp.response(200, JourneySchema)
    @blp.alt_response(404, description="No such journey on this site.")
    def patch(self, values, key):
        """Rename the journey or reorder its steps (`step_order`)."""
        return journeys.update_journey(db.session, journeys.get_journey(db.session, g.site, key), values)

    @require_scope("write")
    @blp.response(204)
    @blp.alt_response(404, description="No such journey on this site.")
    def delete(self, key):
        """Delete the journey with its steps, prompts, answers and events."""
        journeys.delete_journey(db.session, journeys.get_journey(db.session, g.site, key))


@blp.route("/<string:key>/steps", methods=["POST"])
@require_scope("write")
@blp.arguments(StepCreateSchema)
@blp.response(201, StepSchema)
@blp.alt_response(404, description="No such journey on this site.")
@blp.alt_response(409, description="A step with this key exists.")
def add_step(values, key):
    """Add a step at a position (later steps move down) or at the end."""
    return journeys.add_step(db.session, journeys.get_journey(db.session, g.site, key), values)


@blp.route("/<string:key>/steps/<string:step>")
class StepByKey(MethodView):
    @require_scope("write")
    @blp.arguments(StepUpdateSchema)
    @blp.response(200, StepSchema)
    @blp.alt_response(404, description="No such journey or step on this site.")
    def patch(self, values, key, step):
        """Rename a step or move it to another position."""
        return journeys.update_step(db.session, journeys.get_step(db.session, g.site, key, step), values)

    @require_scope("write")
    @blp.response(204)
    @blp.alt_response(404, description="No such journey or step on this site.")
    def delete(self, key, step):
        """Delete a step with its prompts and answers."""
        journeys.delete_step(db.session, journeys.get_step(db.session, g.site, key, step))


@blp.route("/<string:key>/steps/<string:step>/prompts")
class Prompts(MethodView):
    @require_scope("read")
    @blp.response(200, PromptListSchema)
    @blp.alt_response(404, description="No such journey or step on this site.")
    def get(self, key, step):
        """The prompts of a step."""
        return {"items": journeys.get_step(db.session, g.site, key, step).prompts}

    @require_scope("write")
    @blp.arguments(PromptSchema)
    @blp.response(201, PromptSchema)
    @blp.alt_response(404, description="No such journey or step on this site.")
    def post(self, values, key, step):
        """Ask something at this step: kind, wording per locale, trigger, follow-up."""
        return journeys.create_prompt(db.session, journeys.get_step(db.session, g.site, key, step), values)


@blp.route("/<string:key>/steps/<string:step>/prompts/<int:prompt_id>")
class PromptById(MethodView):
    @require_scope("write")
    @blp.arguments(PromptPatchSchema(partial=True))
    @blp.response(200, PromptSchema)
    @blp.alt_response(404, description="No such prompt on this site.")
    def patch(self, values, key, step, prompt_id):
        """Change a prompt; fields left out keep their values."""
        prompt = journeys.get_prompt(db.session, g.site, key, step, prompt_id)
        return journeys.update_prompt(db.session, prompt, values)

    @require_scope("write")
    @blp.response(204)
    @blp.alt_response(404, description="No such prompt on this site.")
    def delete(self, key, step, prompt_id):
        """Stop asking this prompt."""
        journeys.delete_prompt(db.session, journeys.get_prompt(db.session, g.site, key, step, prompt_id))
