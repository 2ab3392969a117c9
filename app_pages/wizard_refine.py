"""Video Wizard, step page: prompt refinement rounds, with the rounds left and the cache in sight."""

from ui.wizard import render_step_page
from ui.wizard_view import WizardStep

render_step_page(WizardStep.REFINE)
