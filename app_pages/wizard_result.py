"""Video Wizard, step page: the finished video: player and MP4 download."""

from ui.wizard import render_step_page
from ui.wizard_view import WizardStep

render_step_page(WizardStep.RESULT)
