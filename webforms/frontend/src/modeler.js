// The process owners' modeler bundle (built by build.mjs with esbuild into static/vendor/modeler/):
// bpmn-js Modeler with the properties panel (Camunda Platform provider), the minimap, token
// simulation, bpmnlint (recommended + wuye's pack), zh-CN, and bpmn-js-differ for the version diff.
// The page script (static/modeler-page.js) drives it through window.WuyeModeler.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import MinimapModule from 'diagram-js-minimap';
import TokenSimulationModule from 'bpmn-js-token-simulation';
import LintModule from 'bpmn-js-bpmnlint';
import { diff } from 'bpmn-js-differ';

import lintConfig from './lint-config.js';
import { setLintContext } from './lint-rules.js';
import { TranslateModule } from './translate.js';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'diagram-js-minimap/assets/diagram-js-minimap.css';
import 'bpmn-js-token-simulation/assets/css/bpmn-js-token-simulation.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';

export function createModeler(canvas, panel, lintContext) {
  setLintContext(lintContext || {});
  return new BpmnModeler({
    container: canvas,
    propertiesPanel: { parent: panel },
    linting: { bpmnlint: lintConfig, active: true },
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule, MinimapModule, TokenSimulationModule, LintModule, TranslateModule,
    ],
    moddleExtensions: { camunda: camundaModdle },
  });
}

export function createViewer(canvas) {
  return new NavigatedViewer({ container: canvas, additionalModules: [TranslateModule],
    moddleExtensions: { camunda: camundaModdle } });
}

// the semantic change set of two imported diagrams (bpmn-js-differ): {_added, _removed, _changed, _layoutChanged}
export function changeSet(oldViewer, newViewer) {
  return diff(oldViewer.getDefinitions(), newViewer.getDefinitions());
}

export const BLANK = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_new" targetNamespace="http://wuye.example/bpmn">
  <bpmn:process id="new_process" name="新流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_new">
    <bpmndi:BPMNPlane id="plane_new" bpmnElement="new_process">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;
