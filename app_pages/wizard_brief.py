"""Video Wizard, step page: the brief that starts a workflow, or the open workflow's brief."""

from ui.wizard import render_step_page
from ui.wizard_view import WizardStep

render_step_page(WizardStep.BRIEF)
