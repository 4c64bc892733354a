"""The editions of a volume (issue 17): PDF, EPUB and HTML assembled from the member papers' documents."""
