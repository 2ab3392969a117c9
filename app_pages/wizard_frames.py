"""Video Wizard, step page: the storyboard frames: generate, approve or reject each, regenerate, earlier versions."""

from ui.wizard import render_step_page
from ui.wizard_view import WizardStep

render_step_page(WizardStep.FRAMES)
