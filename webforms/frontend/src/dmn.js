// The decision table editor: dmn-js 17's Modeler (the DRD, decision table and literal expression
// editors) with its styles, bundled like the BPMN modeler (NODE_ENV=production: Inferno's own build).
import DmnModeler from 'dmn-js/lib/Modeler';
import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';

export function createDmnModeler(container, translate) {
  const module = { translate: ['value', translate] };
  return new DmnModeler({
    container,
    common: { additionalModules: [module] },
    drd: { additionalModules: [module] },
    decisionTable: { additionalModules: [module] },
    literalExpression: { additionalModules: [module] },
  });
}
