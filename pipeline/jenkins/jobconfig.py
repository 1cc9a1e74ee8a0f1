"""The config.xml of the definition's jobs and folders, as Jenkins stores them.

``pipeline jenkins sync`` posts these; the controller's casc.yaml creates the same items through
Job DSL (:mod:`pipeline.jenkins.casc`), both from :mod:`pipeline.jenkins.definition`. The
Jenkinsfile sets no job properties, so a build never undoes a sync.
"""
import xml.etree.ElementTree as ElementTree

from pipeline.jenkins.definition import (ARTIFACT_BUILDS_KEPT, BUILDS_KEPT, FOLDER_DESCRIPTION,
                                         ChoiceParameter, PipelineJob, StringParameter)

UNLIMITED = "-1"


def render_job(job: PipelineJob) -> str:
    """A pipeline job read from SCM."""
    root = ElementTree.Element("flow-definition", plugin="workflow-job")
    _add(root, "description", job.description)
    _add(root, "keepDependencies", "false")
    properties = _add(root, "properties")
    _add_build_discarder(properties)
    if job.parameters:
        _add_parameters(properties, job)
    _add_triggers(properties, job)
    _add_definition(root, job)
    _add(root, "disabled", "false")
    return _document(root)


def render_folder() -> str:
    """A folder with no credential yet: the controller holds its credentials, never a sync."""
    root = ElementTree.Element("com.cloudbees.hudson.plugins.folder.Folder",
                               plugin="cloudbees-folder")
    _add(root, "description", FOLDER_DESCRIPTION)
    _add(root, "properties")
    return _document(root)


def same_config(left: str, right: str) -> bool:
    """Equal as Jenkins means it: ignoring the XML declaration, layout and plugin versions.

    Jenkins rewrites a stored config with ``plugin="git@5.2.1"`` attributes and its own
    indentation, so comparing text would report a change on every sync.
    """
    try:
        return _canonical(left) == _canonical(right)
    except ElementTree.ParseError:
        return False


def _document(root: ElementTree.Element) -> str:
    ElementTree.indent(root, space="  ")
    return "<?xml version='1.1' encoding='UTF-8'?>\n" + ElementTree.tostring(
        root, encoding="unicode") + "\n"


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


def _add_parameters(properties: ElementTree.Element, job: PipelineJob) -> None:
    definitions = _add(_add(properties, "hudson.model.ParametersDefinitionProperty"),
                       "parameterDefinitions")
    for parameter in job.parameters:
        if isinstance(parameter, StringParameter):
            _add_string_parameter(definitions, parameter)
        else:
            _add_choice_parameter(definitions, parameter)


def _add_string_parameter(definitions: ElementTree.Element, parameter: StringParameter) -> None:
    text = _add(definitions, "hudson.model.StringParameterDefinition")
    _add(text, "name", parameter.name)
    _add(text, "description", parameter.description)
    _add(text, "defaultValue", "")
    _add(text, "trim", "true")


def _add_choice_parameter(definitions: ElementTree.Element, parameter: ChoiceParameter) -> None:
    choice = _add(definitions, "hudson.model.ChoiceParameterDefinition")
    _add(choice, "name", parameter.name)
    _add(choice, "description", parameter.description)
    choices = _add(_add(choice, "choices", **{"class": "java.util.Arrays$ArrayList"}), "a",
                   **{"class": "string-array"})
    for value in parameter.choices:
        _add(choices, "string", value)


def _add_triggers(properties: ElementTree.Element, job: PipelineJob) -> None:
    trigger_property = "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty"
    triggers = _add(_add(properties, trigger_property), "triggers")
    _add(_add(triggers, "com.cloudbees.jenkins.GitHubPushTrigger", plugin="github"), "spec", "")
    polling = _add(triggers, "hudson.triggers.SCMTrigger")
    _add(polling, "spec", job.poll_schedule)
    _add(polling, "ignorePostCommitHooks", "false")


def _add_definition(root: ElementTree.Element, job: PipelineJob) -> None:
    definition = _add(root, "definition",
                      **{"class": "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition",
                         "plugin": "workflow-cps"})
    scm = _add(definition, "scm", **{"class": "hudson.plugins.git.GitSCM", "plugin": "git"})
    _add(scm, "configVersion", "2")
    remote = _add(_add(scm, "userRemoteConfigs"), "hudson.plugins.git.UserRemoteConfig")
    _add(remote, "url", job.repository_url)
    _add(remote, "credentialsId", job.scm_credentials)
    branch = _add(_add(scm, "branches"), "hudson.plugins.git.BranchSpec")
    _add(branch, "name", job.branch)
    _add(scm, "doGenerateSubmoduleConfigurations", "false")
    _add(scm, "submoduleCfg", **{"class": "empty-list"})
    _add(scm, "extensions")
    _add(definition, "scriptPath", job.script_path)
    _add(definition, "lightweight", str(job.lightweight).lower())
