"""What is shown and handed out: progress charts, slides, the meeting deck, the PDF report, the overview's table shapes."""
