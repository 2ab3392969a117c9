"""Video Wizard, step page: video settings, cost and quota, then the render with live progress."""

from ui.wizard import render_step_page
from ui.wizard_view import WizardStep

render_step_page(WizardStep.VIDEO)
