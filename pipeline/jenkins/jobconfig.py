"""The pipeline job's config.xml, rendered from setup.cfg's ``[pipeline] jenkins_*`` keys.

The job carries the same properties the Jenkinsfile's ``properties([...])`` step sets (build
discarder, the DEPLOY_TO parameter, push and polling triggers), so a build and a sync never
undo each other, and the first build can already be triggered by a push.
"""
import xml.etree.ElementTree as ElementTree

from pipeline.jenkins.settings import JobSettings

# Equal to the Jenkinsfile's properties (tests/jenkinsfile checks).
BUILDS_KEPT = 30
ARTIFACT_BUILDS_KEPT = 10
DEPLOY_PARAMETER = "DEPLOY_TO"
DEPLOY_CHOICES = ("production", "staging", "none")
DEPLOY_DESCRIPTION = (
    "Main branch only: how far this build goes. production = staging, then production after "
    "approval; staging = stop after staging; none = build and push only.")
DESCRIPTION = ("Managed by `pipeline jenkins sync` from setup.cfg [pipeline] jenkins_* and the "
               "repository's Jenkinsfile: edits made here are overwritten.")
UNLIMITED = "-1"


def render(job: JobSettings) -> str:
    """The job's config.xml as Jenkins stores a pipeline job read from SCM."""
    root = ElementTree.Element("flow-definition", plugin="workflow-job")
    _add(root, "description", DESCRIPTION)
    _add(root, "keepDependencies", "false")
    properties = _add(root, "properties")
    _add_build_discarder(properties)
    _add_parameters(properties)
    _add_triggers(properties, job)
    _add_definition(root, job)
    _add(root, "disabled", "false")
    ElementTree.indent(root, space="  ")
    return "<?xml version='1.1' encoding='UTF-8'?>\n" + ElementTree.tostring(
        root, encoding="unicode") + "\n"


def same_config(left: str, right: str) -> bool:
    """Equal as Jenkins means it: ignoring the XML declaration, layout and plugin versions.

    Jenkins rewrites a stored config with ``plugin="git@5.2.1"`` attributes and its own
    indentation, so comparing text would report a change on every sync.
    """
    try:
        return _canonical(left) == _canonical(right)
    except ElementTree.ParseError:
        return False


def _canonical(config_xml: str) -> tuple[object, ...]:
    text = config_xml.strip()
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1]
    return _tree(ElementTree.fromstring(text))


def _tree(element: ElementTree.Element) -> tuple[object, ...]:
    attributes = tuple(sorted((key, value) for key, value in element.attrib.items()
                              if key != "plugin"))
    return (element.tag, attributes, (element.text or "").strip(),
            tuple(_tree(child) for child in element))


def _add(parent: ElementTree.Element, tag: str, text: str | None = None,
         **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _add_build_discarder(properties: ElementTree.Element) -> None:
    discarder = _add(properties, "jenkins.model.BuildDiscarderProperty")
    strategy = _add(discarder, "strategy", **{"class": "hudson.tasks.LogRotator"})
    _add(strategy, "daysToKeep", UNLIMITED)
    _add(strategy, "numToKeep", str(BUILDS_KEPT))
    _add(strategy, "artifactDaysToKeep", UNLIMITED)
    _add(strategy, "artifactNumToKeep", str(ARTIFACT_BUILDS_KEPT))


def _add_parameters(properties: ElementTree.Element) -> None:
    definitions = _add(_add(properties, "hudson.model.ParametersDefinitionProperty"),
                       "parameterDefinitions")
    choice = _add(definitions, "hudson.model.ChoiceParameterDefinition")
    _add(choice, "name", DEPLOY_PARAMETER)
    _add(choice, "description", DEPLOY_DESCRIPTION)
    choices = _add(_add(choice, "choices", **{"class": "java.util.Arrays$ArrayList"}), "a",
                   **{"class": "string-array"})
    for value in DEPLOY_CHOICES:
        _add(choices, "string", value)


def _add_triggers(properties: ElementTree.Element, job: JobSettings) -> None:
    trigger_property = "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty"
    triggers = _add(_add(properties, trigger_property), "triggers")
    _add(_add(triggers, "com.cloudbees.jenkins.GitHubPushTrigger", plugin="github"), "spec", "")
    polling = _add(triggers, "hudson.triggers.SCMTrigger")
    _add(polling, "spec", job.poll_schedule)
    # The git plugin's notifyCommit (push hooks, GitLab, Gitea) works through this trigger.
    _add(polling, "ignorePostCommitHooks", "false")


def _add_definition(root: ElementTree.Element, job: JobSettings) -> None:
    definition = _add(root, "definition",
                      **{"class": "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition",
                         "plugin": "workflow-cps"})
    scm = _add(definition, "scm", **{"class": "hudson.plugins.git.GitSCM", "plugin": "git"})
    _add(scm, "configVersion", "2")
    remote = _add(_add(scm, "userRemoteConfigs"), "hudson.plugins.git.UserRemoteConfig")
    _add(remote, "url", job.repository_url)
    _add(remote, "credentialsId", job.scm_credentials)
    branch = _add(_add(scm, "branches"), "hudson.plugins.git.BranchSpec")
    _add(branch, "name", job.branch_spec)
    _add(scm, "doGenerateSubmoduleConfigurations", "false")
    _add(scm, "submoduleCfg", **{"class": "empty-list"})
    _add(scm, "extensions")
    _add(definition, "scriptPath", job.jenkinsfile)
    # A branch spec matching several branches needs a full checkout to read the Jenkinsfile.
    _add(definition, "lightweight", "false")
