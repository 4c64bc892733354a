"""publisher/planning.py: the typed job options keep the cache key the editions were always built under."""
from publisher.cache import digest
from publisher.planning import Job, JobOptions


def test_job_options_hash_as_the_old_dict_did():
    """Existing OUT folders stay cached: the options' key has the names and values the untyped dict had."""
    options = JobOptions(self_contained=True, print_ready=True, pdf_variant="pdf/a-3b", page_size_forced=False)
    old = {"self_contained": True, "print": True, "pdf_variant": "pdf/a-3b", "page_size_forced": False}
    assert options.cache_key() == old
    assert digest(options.cache_key()) == digest(old)
    assert digest(JobOptions().cache_key()) == digest({"self_contained": False, "print": False, "pdf_variant": None,
                                                       "page_size_forced": False})


def test_each_job_has_its_own_links_and_versions():
    """Per-paper links are fields of the job, never shared between jobs."""
    a, b = Job(None, None, [], None, "A4"), Job(None, None, [], None, "A4")
    a.edition_targets["/x.html"] = "x"
    a.versions.append("fr")
    assert b.edition_targets == {} and b.versions == []
